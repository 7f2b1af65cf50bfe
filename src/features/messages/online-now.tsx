import { For } from "solid-js";
import "./message-list.css";

/** Who has the public feed open now (Presence on its topic), each user once. */
export function OnlineNow(props: { users: { id: string; name: string }[] }) {
  return (
    <section class="online" aria-label="Online now" data-testid="online">
      <h2>Online now</h2>
      <ul>
        <For each={props.users}>
          {(user) => (
            <li>
              <span class="presence-dot" aria-hidden="true" />
              {user.name}
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
