import { useSubmission } from "@solidjs/router";
import { createSignal, createUniqueId, onMount, Show } from "solid-js";
import { FormError } from "~/features/auth/form-status";
import { charactersLeft, MESSAGE_COUNTDOWN_FROM, MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { sendMessage } from "./messages.api";
import { isOutboxForm } from "./outbox";
import "./send-form.css";

/** The box grows with its text up to this many pixels, then scrolls. */
const MAX_BOX_HEIGHT_PX = 240;

/**
 * The id is generated here, before sending: a resubmitted form or a resent message carries the
 * same id and the server inserts it once; the pending copy and the Realtime echo share it too.
 * Without JavaScript the form posts to the action; with it, `onSend` takes the message (the
 * outbox), and Enter sends while Shift+Enter starts a new line.
 */
export function SendForm(props: {
  to?: string;
  canAnnounce?: boolean;
  label?: string;
  onTyping?: () => void;
  onSend?: (message: { id: string; body: string; announcement: boolean }) => void;
}) {
  const [id, setId] = createSignal(crypto.randomUUID());
  const [left, setLeft] = createSignal(MESSAGE_MAX_LENGTH);
  // Errors of the form's own posts (without JavaScript, flashed by the server); the outbox shows
  // the errors of what it sent on each message.
  const submission = useSubmission(sendMessage, (input) => !isOutboxForm(input));
  const countdownId = createUniqueId();
  const [enhanced, setEnhanced] = createSignal(false);
  onMount(() => setEnhanced(!!props.onSend));
  let box: HTMLTextAreaElement | undefined;
  let idInput: HTMLInputElement | undefined;

  function fit() {
    if (!box) return;
    box.style.height = "";
    if (!box.value) return;
    // border-box sizing (send-form.css): the height is the content's plus the borders.
    const borders = box.offsetHeight - box.clientHeight;
    box.style.height = `${Math.min(Math.max(box.scrollHeight + borders, box.offsetHeight), MAX_BOX_HEIGHT_PX)}px`;
  }

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
        setLeft(MESSAGE_MAX_LENGTH);
        fit();
        box.focus();
      }}
    >
      <input ref={idInput} type="hidden" name="id" value={id()} />
      <Show when={props.to}>{(to) => <input type="hidden" name="to" value={to()} />}</Show>
      <label class="send-label" for={`${countdownId}-box`}>
        {props.label ?? "Message"}
      </label>
      <div class="send-row">
        <textarea
          ref={box}
          id={`${countdownId}-box`}
          class="input send-box"
          name="body"
          required
          maxlength={MESSAGE_MAX_LENGTH}
          rows="1"
          aria-describedby={countdownId}
          enterkeyhint="send"
          onInput={(event) => {
            setLeft(charactersLeft(event.currentTarget.value));
            fit();
            props.onTyping?.();
          }}
          onKeyDown={(event) => {
            // An IME composing text uses Enter to pick a candidate: that Enter is not a send.
            if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
            event.preventDefault();
            event.currentTarget.form?.requestSubmit();
          }}
        />
        <button type="submit" class="button button--primary">
          Send
        </button>
      </div>
      <p id={countdownId} class="send-hint" data-testid="characters-left">
        <Show when={left() <= MESSAGE_COUNTDOWN_FROM} fallback={enhanced() ? "Enter sends, Shift+Enter starts a new line." : ""}>
          {left() === 1 ? "1 character left" : `${left()} characters left`}
        </Show>
      </p>
      <Show when={props.canAnnounce}>
        <label class="inline">
          <input type="checkbox" name="announcement" /> Post as an announcement
        </label>
      </Show>
      <FormError error={submission.error} />
    </form>
  );
}
