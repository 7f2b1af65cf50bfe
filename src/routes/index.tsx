import { Title } from "~/components/page-title";

export default function Home() {
  return (
    <>
      <Title>SolidStart + Supabase</Title>
      <h1>SolidStart + Supabase</h1>
      <p>Server-rendered auth, Row Level Security, role-based access and a realtime feed, on SolidStart 1.x and Supabase.</p>
    </>
  );
}
