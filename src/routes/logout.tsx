import { Title } from "~/components/page-title";
import { SignOutForms } from "~/features/auth/sign-out-forms";

export default function LogoutPage() {
  return (
    <div class="page-narrow">
      <Title>Sign out</Title>
      <h1>Sign out</h1>
      <div class="card">
        <p>Sign out here only, or end every session of your account (other browsers and devices too).</p>
        <SignOutForms />
      </div>
    </div>
  );
}
