import { Show } from "solid-js";

/** "<name> is typing…" while the other participant types; announced politely to screen readers. */
export function TypingNotice(props: { name: string | null }) {
  return (
    <p class="typing" aria-live="polite" data-testid="typing">
      <Show when={props.name}>{(name) => `${name()} is typing...`}</Show>
    </p>
  );
}
