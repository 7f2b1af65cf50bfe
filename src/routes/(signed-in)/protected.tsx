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
      <p>
        Hello <strong data-testid="user-email">{page()?.email}</strong>. This page was rendered on the server for your verified
        session.
      </p>
    </>
  );
}
