import { A } from "@solidjs/router";
import { For, type ParentProps } from "solid-js";

const links = [
  { href: "/", label: "Home", end: true },
  { href: "/messages", label: "Messages" },
  { href: "/protected", label: "Protected" },
  { href: "/account", label: "Account" },
];

export default function SiteLayout(props: ParentProps) {
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
          </ul>
        </nav>
      </header>
      <main class="site-main">{props.children}</main>
    </>
  );
}
