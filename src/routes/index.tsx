import { A, createAsync, type RouteDefinition } from "@solidjs/router";
import { For, Show } from "solid-js";
import { Title } from "~/components/page-title";
import { getCurrentUser } from "~/features/auth/auth.api";
import { getLocalBackend, preload } from "~/features/home/home.api";

export const route = {
  preload: () => preload.getLocalBackend(),
} satisfies RouteDefinition;

const features = [
  {
    title: "Live feed",
    href: "/messages",
    text: "Server-rendered messages that update at once in every open browser: new, edited and removed.",
  },
  {
    title: "Direct messages",
    href: "/messages/direct",
    text: "Private conversations only their two people can read, enforced by Row Level Security.",
  },
  {
    title: "Roles",
    href: "/moderation",
    text: "Moderators (a custom claim in the session) post announcements and remove any message.",
  },
  {
    title: "Realtime",
    href: "/messages",
    text: "Private Broadcast channels from the database, who is online and who is typing.",
  },
];

export default function Home() {
  const user = createAsync(() => getCurrentUser());
  const local = createAsync(() => getLocalBackend());
  return (
    <>
      <Title>SolidStart + Supabase</Title>
      <section class="hero">
        <h1>SolidStart + Supabase</h1>
        <p class="page-lead">
          Server-rendered auth, Row Level Security, role-based access and a realtime feed, on SolidStart 1.x and Supabase.
        </p>
        <p class="form-actions">
          <A class="button button--primary" href="/messages">
            Open the feed
          </A>
          <Show when={user() === null}>
            <A class="button" href="/login">
              Sign in
            </A>
            <A class="button button--ghost" href="/signup">
              Create an account
            </A>
          </Show>
        </p>
      </section>

      <Show when={local()}>
        {(backend) => (
          <section class="card local-backend" aria-labelledby="local-backend" data-testid="local-backend">
            <h2 id="local-backend">
              Local backend <span class="badge">development only</span>
            </h2>
            <p>
              This app runs on a local Supabase with the seed data of <code>supabase/seed.sql</code>. Sign in as one of its
              accounts:
            </p>
            <ul class="accounts" role="list">
              <For each={backend().accounts}>
                {(account) => (
                  <li data-testid="seeded-account">
                    <code data-field="email">{account.email}</code>
                    <span class="badge" data-field="role">
                      {account.role}
                    </span>
                    <span class="accounts__password">
                      password <code data-field="password">{account.password}</code>
                    </span>
                  </li>
                )}
              </For>
            </ul>
            <p>
              Mails the app sends (sign-up confirmations, sign-in links, password resets) land in the{" "}
              <a href={backend().mailboxUrl} data-testid="mailbox-link">
                local mailbox
              </a>
              .
            </p>
          </section>
        )}
      </Show>

      <h2>What it shows</h2>
      <ul class="grid features" role="list">
        <For each={features}>
          {(feature) => (
            <li class="card">
              <h3>
                <A href={feature.href}>{feature.title}</A>
              </h3>
              <p>{feature.text}</p>
            </li>
          )}
        </For>
      </ul>
    </>
  );
}
