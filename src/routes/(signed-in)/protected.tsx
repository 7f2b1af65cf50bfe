import { Title } from "~/components/page-title";
import { createAsync, type RouteDefinition } from "@solidjs/router";
import { getProtectedPage } from "~/features/auth/auth.api";

export const route = { preload: () => getProtectedPage() } satisfies RouteDefinition;

export default function ProtectedPage() {
  const page = createAsync(() => getProtectedPage());
  return (
    <>
      <Title>Protected</Title>
      <h1>Protected page</h1>
      <div class="card">
        <p>
          Hello <strong data-testid="user-email">{page()?.email}</strong>. This page was rendered on the server for your verified
          session.
        </p>
        <p class="page-lead">
          Signed out, the same address redirects to the sign-in page and comes back here afterwards: the check runs in the page's
          loader on the server, from the session's verified claims.
        </p>
      </div>
    </>
  );
}
