import { A, createAsync } from "@solidjs/router";
import { For, type ParentProps, Show, Suspense } from "solid-js";
import { getCurrentUser } from "~/features/auth/auth.api";
import { followOtherTabs } from "~/features/auth/follow-other-tabs";

const links = [
  { href: "/", label: "Home", end: true },
  { href: "/messages", label: "Messages" },
  { href: "/protected", label: "Protected" },
  { href: "/account", label: "Account" },
];

export default function SiteLayout(props: ParentProps) {
  const user = createAsync(() => getCurrentUser());
  followOtherTabs(() => {
    const current = user();
    return current === undefined ? undefined : (current?.id ?? null);
  });
  return (
    <>
      <header class="site-header">
        <nav aria-label="Main">
          <ul>
            <For each={links}>
              {(link) => (
                <li>
                  <A href={link.href} end={link.end} activeClass="active">
                    {link.label}
                  </A>
                </li>
              )}
            </For>
            <Suspense>
              <Show when={user()?.isModerator}>
                <li>
                  <A href="/moderation" activeClass="active">
                    Moderation
                  </A>
                </li>
              </Show>
            </Suspense>
            <li class="session">
              <Suspense>
                <Show when={user()} fallback={<A href="/login">Sign in</A>}>
                  {(signedIn) => (
                    <>
                      <span data-testid="signed-in-as">{signedIn().email}</span> <A href="/logout">Sign out</A>
                    </>
                  )}
                </Show>
              </Suspense>
            </li>
          </ul>
        </nav>
      </header>
      <main class="site-main">{props.children}</main>
    </>
  );
}
