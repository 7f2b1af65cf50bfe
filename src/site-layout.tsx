import { A, createAsync, useLocation } from "@solidjs/router";
import { createEffect, For, on, type ParentProps, Show, Suspense } from "solid-js";
import { getCurrentUser } from "~/features/auth/auth.api";
import { followOtherTabs, followOwnSession } from "~/features/auth/follow-other-tabs";

const links = [
  { href: "/", label: "Home", end: true },
  { href: "/messages", label: "Messages" },
  { href: "/protected", label: "Protected" },
  { href: "/account", label: "Account" },
];

/**
 * The header and the main landmark of every page. On a phone the links sit in a <details> menu,
 * so they open without JavaScript; on a wide screen the same element's content is always shown
 * in one row (app.css), so there is one set of links for both.
 */
export default function SiteLayout(props: ParentProps) {
  const user = createAsync(() => getCurrentUser());
  const location = useLocation();
  let menu: HTMLDetailsElement | undefined;
  const userId = () => {
    const current = user();
    return current === undefined ? undefined : (current?.id ?? null);
  };
  followOtherTabs(userId);
  followOwnSession(userId);
  // A client-side navigation keeps the document: close the phone menu as a new page would.
  createEffect(
    on(
      () => location.pathname,
      () => menu?.removeAttribute("open"),
      { defer: true },
    ),
  );
  return (
    <>
      {/* The router handles in-page links itself (it scrolls, focus stays): move focus here too. */}
      <a class="skip-link" href="#main" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </a>
      <header class="site-header">
        <div class="site-header__inner">
          <a class="brand" href="/">
            <span class="brand__mark" aria-hidden="true">
              S+
            </span>
            SolidStart + Supabase
          </a>
          <nav aria-label="Main" class="site-nav">
            <details class="site-nav__menu" ref={menu}>
              <summary class="site-nav__toggle button button--ghost">Menu</summary>
              <div class="site-nav__panel">
                <ul class="site-nav__links">
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
                </ul>
                <div class="site-nav__session">
                  <Suspense>
                    <Show
                      when={user()}
                      fallback={
                        <A class="button button--primary button--small" href="/login">
                          Sign in
                        </A>
                      }
                    >
                      {(signedIn) => (
                        <>
                          <span class="avatar" aria-hidden="true">
                            {signedIn().email.slice(0, 1)}
                          </span>
                          <span class="site-nav__email" data-testid="signed-in-as" title={signedIn().email}>
                            {signedIn().email}
                          </span>
                          <A class="site-nav__signout" href="/logout">
                            Sign out
                          </A>
                        </>
                      )}
                    </Show>
                  </Suspense>
                </div>
              </div>
            </details>
          </nav>
        </div>
      </header>
      <main class="site-main" id="main" tabindex="-1">
        {props.children}
      </main>
    </>
  );
}
