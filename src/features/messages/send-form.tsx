import { useSubmission } from "@solidjs/router";
import { createSignal, createUniqueId, onCleanup, onMount, Show } from "solid-js";
import { SubmissionError } from "~/components/form-status";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { sendMessage } from "./messages.api";
import { isOutboxForm } from "./outbox-forms";
import "./send-form.css";

/**
 * The id is generated here, before sending: a resubmitted form or a resent message carries the
 * same id and the server inserts it once; the pending copy and the Realtime echo share it too.
 * Without JavaScript the form posts to the action; with it, `onSend` takes the message (the
 * outbox), and ./send-box makes Enter send while Shift+Enter starts a new line.
 */
export function SendForm(props: {
  to?: string;
  canAnnounce?: boolean;
  label?: string;
  onTyping?: () => void;
  onSend?: (message: { id: string; body: string; announcement: boolean }) => void;
}) {
  const [id, setId] = createSignal(crypto.randomUUID());
  // Errors of the form's own posts (without JavaScript, flashed by the server); the outbox shows
  // the errors of what it sent on each message.
  const submission = useSubmission(sendMessage, (input) => !isOutboxForm(input));
  const hintId = createUniqueId();
  let box: HTMLTextAreaElement | undefined;
  let hint: HTMLParagraphElement | undefined;
  let idInput: HTMLInputElement | undefined;

  onMount(() => {
    if (!props.onSend) return;
    let stop: (() => void) | undefined;
    let unmounted = false;
    onCleanup(() => {
      unmounted = true;
      stop?.();
    });
    void import("./send-box").then(({ enhanceSendBox }) => {
      if (!unmounted && box && hint) stop = enhanceSendBox(box, hint);
    });
  });

  return (
    <form
      action={sendMessage}
      method="post"
      class="stack send-form"
      onSubmit={(event) => {
        if (!props.onSend || !box) return;
        event.preventDefault();
        const body = box.value;
        if (!body.trim()) return;
        const announcement = !!event.currentTarget.querySelector<HTMLInputElement>('input[name="announcement"]')?.checked;
        // The id the form holds, which is what it would post: after hydration that is still the
        // server-rendered one (hydration does not rewrite attributes), not this component's first.
        props.onSend({ id: idInput?.value || id(), body, announcement });
        event.currentTarget.reset();
        setId(crypto.randomUUID());
        box.focus();
      }}
    >
      <input ref={idInput} type="hidden" name="id" value={id()} />
      <Show when={props.to}>{(to) => <input type="hidden" name="to" value={to()} />}</Show>
      <label class="send-label" for={`${hintId}-box`}>
        {props.label ?? "Message"}
      </label>
      <div class="send-row">
        <textarea
          ref={box}
          id={`${hintId}-box`}
          class="input send-box"
          name="body"
          required
          maxlength={MESSAGE_MAX_LENGTH}
          rows="1"
          aria-describedby={hintId}
          enterkeyhint="send"
          onInput={() => props.onTyping?.()}
        />
        <button type="submit" class="button button--primary">
          Send
        </button>
      </div>
      <p ref={hint} id={hintId} class="send-hint" data-testid="characters-left" />
      <Show when={props.canAnnounce}>
        <label class="inline">
          <input type="checkbox" name="announcement" /> Post as an announcement
        </label>
      </Show>
      <SubmissionError error={submission.error} />
    </form>
  );
}
