import { For, Show } from "solid-js";

/** Who has the public feed open now (Presence on its topic), each user once. */
export function OnlineNow(props: { users: { id: string; name: string }[] }) {
  return (
    <section class="online" aria-labelledby="online-heading" data-testid="online">
      <h2 id="online-heading">Online now</h2>
      <Show when={props.users.length > 0} fallback={<p>Nobody yet.</p>}>
        <ul>
          <For each={props.users}>{(user) => <li data-user-id={user.id}>{user.name}</li>}</For>
        </ul>
      </Show>
    </section>
  );
}
