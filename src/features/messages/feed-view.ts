import { relativeTime } from "~/lib/domain/relative-time";

/** Closer than this to the bottom counts as "at the bottom" (a partly visible last line). */
const BOTTOM_SLACK_PX = 48;
/** Older messages are fetched once the view is this close to the top of what is loaded. */
const LOAD_OLDER_WITHIN_PX = 300;

/**
 * Keeps a feed's scroll box where the reader expects it as messages come and go (loaded after
 * mount: the box starts at the bottom by itself, see message-list.css). In the box, a reversed
 * column, scrollTop is 0 at the bottom and negative above it. A MutationObserver sees each change
 * of the list after the DOM is updated and before the browser paints it.
 */
export function followFeed(
  box: HTMLElement,
  list: HTMLElement,
  view: { loadOlder: () => void; newBelow: () => void; atBottom: () => void },
): () => void {
  let fromTop = 0;
  let fromBottom = 0;
  let atBottom = true;
  let first = list.firstElementChild;
  let last = list.lastElementChild;

  function measure() {
    // Not laid out (a page rendered off-screen during a client-side navigation): nothing to read.
    if (!box.isConnected || box.clientHeight === 0) return;
    fromBottom = box.scrollTop;
    fromTop = box.scrollHeight - box.clientHeight + box.scrollTop;
    atBottom = box.scrollTop > -BOTTOM_SLACK_PX;
    if (atBottom) view.atBottom();
  }

  // Only the reader's own scrolling fetches older pages, never a layout that happens to be short.
  function onScroll() {
    measure();
    if (box.isConnected && fromTop < LOAD_OLDER_WITHIN_PX) view.loadOlder();
  }

  const observer = new MutationObserver(() => {
    const newFirst = list.firstElementChild;
    const newLast = list.lastElementChild;
    if (newLast !== last && newLast?.getAttribute("data-message-id") !== last?.getAttribute("data-message-id")) {
      if (newLast?.classList.contains("own") || atBottom) {
        box.scrollTop = 0;
      } else {
        // The reader scrolled up: what they read stays where it is, and the pill says why.
        box.scrollTop = fromTop - (box.scrollHeight - box.clientHeight);
        view.newBelow();
      }
    } else if (newFirst !== first) {
      // Older messages came in above: keep the distance from the bottom (a box scrolled to its
      // very top would otherwise stay pinned there, and what the reader saw would jump down).
      box.scrollTop = fromBottom;
    }
    first = newFirst;
    last = newLast;
    measure();
  });
  observer.observe(list, { childList: true });
  box.addEventListener("scroll", onScroll, { passive: true });
  measure();
  return () => {
    observer.disconnect();
    box.removeEventListener("scroll", onScroll);
  };
}

/** Relative times ("5 min ago") are redrawn this often; a minute is their smallest step. */
const TICK_MS = 30_000;

/**
 * Keeps every `<time datetime>` of the list current: the relative time against this browser's
 * clock (the server rendered it against its own), and the exact time in the reader's own time
 * zone as its title (the server only knows UTC). New messages are drawn as they come in, before
 * they are painted.
 */
export function keepTimesCurrent(list: HTMLElement): () => void {
  const update = () => {
    const now = Date.now();
    for (const time of list.querySelectorAll("time[datetime]")) {
      const iso = time.getAttribute("datetime") ?? "";
      const text = relativeTime(iso, now);
      const title = new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
      // Only what changed is written: each write is a mutation this observer hears again.
      if (time.textContent !== text) time.textContent = text;
      if (time.getAttribute("title") !== title) time.setAttribute("title", title);
    }
  };
  const observer = new MutationObserver(update);
  observer.observe(list, { childList: true, subtree: true });
  const timer = setInterval(update, TICK_MS);
  update();
  return () => {
    observer.disconnect();
    clearInterval(timer);
  };
}
