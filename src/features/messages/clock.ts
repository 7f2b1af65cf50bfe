import { createSignal, onCleanup, onMount } from "solid-js";

/** Relative times ("5 min ago") are redrawn this often; a minute is their smallest step. */
const TICK_MS = 30_000;

/**
 * The time a view draws relative times against, ticking after mount. The exact time in a title is
 * the reader's local time, which only the browser knows: the server renders UTC until then.
 */
export function createClock() {
  const [now, setNow] = createSignal(Date.now());
  const [inBrowser, setInBrowser] = createSignal(false);
  onMount(() => {
    setNow(Date.now());
    setInBrowser(true);
    const timer = setInterval(() => setNow(Date.now()), TICK_MS);
    onCleanup(() => clearInterval(timer));
  });
  return {
    now,
    exact: (iso: string) => {
      const date = new Date(iso);
      return inBrowser()
        ? date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" })
        : `${date.toISOString().replace("T", " ").slice(0, 19)} UTC`;
    },
  };
}
