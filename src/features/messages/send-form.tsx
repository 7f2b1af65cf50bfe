import { useSubmission } from "@solidjs/router";
import { createEffect, createSignal, on, Show } from "solid-js";
import { FormError } from "~/features/auth/form-status";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { sendMessage } from "./messages.api";

/**
 * The id is generated here, before sending: a resubmitted form or a retried request carries the
 * same id and the server inserts it once; the optimistic copy and the Realtime echo share it too.
 */
export function SendForm(props: { to?: string; canAnnounce?: boolean; label?: string; onTyping?: () => void }) {
  const [id, setId] = createSignal(crypto.randomUUID());
  const submission = useSubmission(sendMessage);
  let form: HTMLFormElement | undefined;
  // Once a submission is under way its form data is taken: clear the form and give the next
  // message a new id (the pending one keeps its own, so a retry of it stays idempotent).
  createEffect(
    on(
      () => submission.pending,
      (pending) => {
        if (!pending) return;
        form?.reset();
        setId(crypto.randomUUID());
      },
      { defer: true },
    ),
  );
  return (
    <form ref={form} action={sendMessage} method="post" class="stack send-form">
      <input type="hidden" name="id" value={id()} />
      <Show when={props.to}>{(to) => <input type="hidden" name="to" value={to()} />}</Show>
      <label>
        {props.label ?? "Message"}
        <textarea name="body" required maxlength={MESSAGE_MAX_LENGTH} rows="2" onInput={() => props.onTyping?.()} />
      </label>
      <Show when={props.canAnnounce}>
        <label class="inline">
          <input type="checkbox" name="announcement" /> Post as an announcement
        </label>
      </Show>
      <button type="submit">Send</button>
      <FormError error={submission.error} />
    </form>
  );
}
