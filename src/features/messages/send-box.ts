import { charactersLeft, MESSAGE_COUNTDOWN_FROM } from "~/lib/domain/messages";

/** The box grows with its text up to this many pixels, then scrolls. */
const MAX_BOX_HEIGHT_PX = 240;

/**
 * What the message box does with JavaScript, loaded after mount: Enter sends and Shift+Enter
 * starts a new line, the box grows with its text, and the hint counts the characters left near
 * the limit. Until it has loaded (and without JavaScript) the box is a plain textarea.
 */
export function enhanceSendBox(box: HTMLTextAreaElement, hint: HTMLElement): () => void {
  function fit() {
    box.style.height = "";
    if (!box.value) return;
    // border-box sizing (send-form.css): the height is the content's plus the borders.
    const borders = box.offsetHeight - box.clientHeight;
    box.style.height = `${Math.min(Math.max(box.scrollHeight + borders, box.offsetHeight), MAX_BOX_HEIGHT_PX)}px`;
  }
  function update() {
    const left = charactersLeft(box.value);
    hint.textContent =
      left > MESSAGE_COUNTDOWN_FROM
        ? "Enter sends, Shift+Enter starts a new line."
        : left === 1
          ? "1 character left"
          : `${left} characters left`;
    fit();
  }
  function onKeyDown(event: KeyboardEvent) {
    // An IME composing text uses Enter to pick a candidate: that Enter is not a send.
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    box.form?.requestSubmit();
  }
  // A reset event comes before the form is reset: look once it is done.
  const onReset = () => queueMicrotask(update);
  box.addEventListener("input", update);
  box.addEventListener("keydown", onKeyDown);
  box.form?.addEventListener("reset", onReset);
  update();
  return () => {
    box.removeEventListener("input", update);
    box.removeEventListener("keydown", onKeyDown);
    box.form?.removeEventListener("reset", onReset);
  };
}
