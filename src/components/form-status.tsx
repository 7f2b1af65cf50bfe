import { Show } from "solid-js";

/** The error of a submission, announced to screen readers. */
export function SubmissionError(props: { error: unknown }) {
  return (
    <Show when={props.error instanceof Error && props.error}>
      {(error) => (
        <p class="form-error" role="alert">
          {error().message}
        </p>
      )}
    </Show>
  );
}

export function Notice(props: { when: unknown; children: string }) {
  return (
    <Show when={props.when}>
      <p class="notice" role="status">
        {props.children}
      </p>
    </Show>
  );
}
