import { A, createAsync } from "@solidjs/router";
import { createSignal, For, onCleanup, Show, startTransition } from "solid-js";
import { USER_SEARCH_MIN_LENGTH, userSearchPrefix } from "~/lib/domain/conversations";
import { USERNAME_MAX_LENGTH } from "~/lib/domain/username";
import { searchUsers } from "./conversations.api";
import "./conversations.css";

const TYPING_PAUSE_MS = 150;

/**
 * "Start a conversation": a GET form, so without JavaScript it reloads the page with `?q=` and
 * the server renders the matches; with JavaScript the matches follow the typing, a short pause
 * after the last key, inside a transition so the old matches stay until the new ones are there.
 */
export function UserSearch(props: { initial: string }) {
  // The initial text only: the box is never rewritten while someone types in it.
  const [text, setText] = createSignal(props.initial);
  // Text that cannot be a prefix gets its hint here, without a request (the server checks again).
  const found = createAsync(async () => {
    const asked = userSearchPrefix(text());
    if ("prefix" in asked) return searchUsers(asked.prefix);
    return { users: [], hint: "hint" in asked ? asked.hint : null };
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(timer));
  const search = (value: string) => {
    clearTimeout(timer);
    void startTransition(() => setText(value));
  };
  return (
    <form
      method="get"
      action="/messages/direct"
      class="user-search"
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        search(new FormData(event.currentTarget).get("q")?.toString() ?? "");
      }}
    >
      <label class="field">
        <span>Start a conversation</span>
        <input
          class="input"
          name="q"
          type="search"
          value={props.initial}
          autocomplete="off"
          spellcheck={false}
          maxlength={USERNAME_MAX_LENGTH}
          placeholder={`Username, ${USER_SEARCH_MIN_LENGTH}+ characters`}
          aria-describedby="user-search-results"
          onInput={(event) => {
            const value = event.currentTarget.value;
            clearTimeout(timer);
            timer = setTimeout(() => search(value), TYPING_PAUSE_MS);
          }}
        />
      </label>
      <button class="button" type="submit">
        Search
      </button>
      <div id="user-search-results" class="user-search__results" aria-live="polite">
        <Show when={found()?.hint}>{(hint) => <p class="user-search__hint">{hint()}</p>}</Show>
        <Show when={found()?.users.length}>
          <ul data-testid="user-search-results">
            <For each={found()?.users}>
              {(user) => (
                <li>
                  <A href={`/messages/direct/${user.username}`}>{user.username}</A>
                </li>
              )}
            </For>
          </ul>
        </Show>
      </div>
    </form>
  );
}
