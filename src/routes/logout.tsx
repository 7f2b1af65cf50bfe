import { Title } from "~/components/page-title";
import { SignOutForms } from "~/features/auth/sign-out-forms";

export default function LogoutPage() {
  return (
    <>
      <Title>Sign out</Title>
      <h1>Sign out</h1>
      <SignOutForms />
    </>
  );
}
