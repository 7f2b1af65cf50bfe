import { onMount } from "solid-js";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { editMessage } from "./messages.api";

/**
 * One message's editor, loaded when someone edits (./message-list renders it for `?edit=<id>`
 * or after a click on Edit): most readers of the feed never need it up front.
 */
export default function MessageEditor(props: { id: string; body: string; cancelHref: string; onCancel: () => void }) {
  let box: HTMLTextAreaElement | undefined;
  onMount(() => box?.focus());
  return (
    <form action={editMessage} method="post" class="edit" onKeyDown={(event) => event.key === "Escape" && props.onCancel()}>
      <input type="hidden" name="id" value={props.id} />
      <textarea ref={box} class="input" name="body" required maxlength={MESSAGE_MAX_LENGTH} aria-label="Edited message" autofocus>
        {props.body}
      </textarea>
      <span class="edit__buttons">
        <button type="submit" class="button button--primary button--small">
          Save
        </button>
        <a
          href={props.cancelHref}
          onClick={(event) => {
            event.preventDefault();
            props.onCancel();
          }}
        >
          Cancel
        </a>
      </span>
    </form>
  );
}
