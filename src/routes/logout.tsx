import { Title } from "@solidjs/meta";
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
