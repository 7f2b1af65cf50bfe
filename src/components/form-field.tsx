import { type JSX, Show, splitProps } from "solid-js";
import { type FieldName, fieldError, formLevelError } from "~/lib/domain/form-messages";

type InputAttributes = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "id" | "name" | "class">;

export interface TextFieldProps extends InputAttributes {
  /** Unique on the page: a page can hold two forms with an email field. */
  id: string;
  name: FieldName;
  label: JSX.Element;
  hint?: string;
  /** The submission's error: shown here when it is about this field. */
  error?: unknown;
}

/**
 * A labelled input whose error, when the form's submission has one about this field, appears under
 * it and is tied to it (aria-invalid, aria-describedby), with or without JavaScript.
 */
export function TextField(props: TextFieldProps) {
  const [own, input] = splitProps(props, ["id", "name", "label", "hint", "error"]);
  const message = () => fieldError(own.error, own.name);
  const hintId = () => `${own.id}-hint`;
  const errorId = () => `${own.id}-error`;
  const describedBy = () =>
    [own.hint ? hintId() : undefined, message() ? errorId() : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <div class="field">
      <label for={own.id}>{own.label}</label>
      <input
        {...input}
        id={own.id}
        name={own.name}
        class="input"
        aria-invalid={message() ? "true" : undefined}
        aria-describedby={describedBy()}
      />
      <Show when={own.hint}>
        <p class="field-hint" id={hintId()}>
          {own.hint}
        </p>
      </Show>
      <Show when={message()}>
        <p class="field-error" id={errorId()} role="alert">
          {message()}
        </p>
      </Show>
    </div>
  );
}

/** A submission's error that is about none of the form's `fields`, announced to screen readers. */
export function FormLevelError(props: { error: unknown; fields: readonly FieldName[] }) {
  return (
    <Show when={formLevelError(props.error, props.fields)}>
      {(message) => (
        <p class="form-error" role="alert">
          {message()}
        </p>
      )}
    </Show>
  );
}
