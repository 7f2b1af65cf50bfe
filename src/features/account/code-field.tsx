/**
 * The six-digit (or eight, from some apps) code of an authenticator app. Spaces are allowed
 * because apps show the code in two groups; the server strips them.
 */
export function CodeField(props: { id: string; label: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        class="input"
        name="code"
        inputmode="numeric"
        autocomplete="one-time-code"
        pattern="[0-9 ]{6,8}"
        maxlength={8}
        required
      />
    </div>
  );
}
