import type { ConnectionState } from "./live-feed";
import type { OutboxEntry, OutboxState } from "./outbox";
import { outboxForms } from "./outbox-forms";
import { removeMessage, saveMessage, type StoredMessage, storedMessages } from "./outbox-store";

export type OutboxEngine = ReturnType<typeof startOutbox>;

function formOf(entry: OutboxEntry): FormData {
  const form = new FormData();
  form.set("id", entry.id);
  form.set("body", entry.body);
  if (entry.to) form.set("to", entry.to);
  if (entry.announcement) form.set("announcement", "on");
  outboxForms.add(form);
  return form;
}

/** What the page says when sending has to wait, and how many messages wait; "" while all is well. */
export function describeOutbox(online: boolean, state: ConnectionState, waiting: number): string {
  const reason =
    !online || state === "offline"
      ? "You are offline."
      : state === "reconnecting"
        ? "Reconnecting..."
        : waiting > 0
          ? "Connecting..."
          : "";
  if (!reason) return "";
  const count = waiting === 1 ? "1 message waits" : `${waiting} messages wait`;
  return waiting > 0
    ? `${reason} ${count} to be sent when the connection is back.`
    : `${reason} Messages you write are kept and sent when the connection is back.`;
}

/** The outbox's sending and storing (ADR 0037), loaded after mount or on the first send. */
export function startOutbox(state: OutboxState) {
  // A message's first write to IndexedDB: removing it must wait for that write, or the stale
  // copy would come back after a reload (and be sent again, harmlessly, but shown as pending).
  const saved = new Map<string, Promise<void>>();
  let flushing = false;
  let restoredFor: string | undefined;

  // The page was open before this loaded: it may have gone offline already.
  const up = () => state.setOnline(true);
  const down = () => state.setOnline(false);
  state.setOnline(navigator.onLine !== false);
  window.addEventListener("online", up);
  window.addEventListener("offline", down);

  const update = (id: string, change: Partial<OutboxEntry>) =>
    state.setEntries((entries) => entries.map((entry) => (entry.id === id ? { ...entry, ...change } : entry)));
  const find = (id: string) => state.entries().find((entry) => entry.id === id);
  const nextWaiting = () => state.entries().find((entry) => entry.status === "waiting" && state.here(entry));

  function persist(entry: OutboxEntry): Promise<void> {
    const author = state.me();
    if (!author) return Promise.resolve();
    const { id, body, to, announcement, seq } = entry;
    const stored: StoredMessage = {
      id,
      author,
      body,
      to,
      announcement,
      seq,
      failed: entry.status === "failed",
      error: entry.error,
    };
    // Without IndexedDB (disabled storage) the outbox still works for as long as the page is open.
    return saveMessage(stored).then(
      () => undefined,
      () => undefined,
    );
  }

  async function flush(): Promise<void> {
    if (flushing) return;
    flushing = true;
    try {
      for (let next = nextWaiting(); next && state.ready(); next = nextWaiting()) {
        const entry = next;
        update(entry.id, { status: "sending", error: undefined });
        try {
          await state.send(formOf(entry));
          update(entry.id, { status: "sent" });
          await saved.get(entry.id);
          saved.delete(entry.id);
          await removeMessage(entry.id).catch(() => undefined);
        } catch (error) {
          if (navigator.onLine === false) {
            // Lost the connection on the way: it waits for the next flush like the others.
            update(entry.id, { status: "waiting" });
            break;
          }
          const reason =
            error instanceof Error && !(error instanceof TypeError) ? error.message : "the server could not be reached.";
          update(entry.id, { status: "failed", error: reason });
          await persist({ ...entry, status: "failed", error: reason });
        }
      }
    } finally {
      flushing = false;
    }
    // Something may have been written, or the connection come back, while the last send ran.
    if (state.ready() && nextWaiting()) return flush();
  }

  return {
    stop() {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    },
    flush,
    /** A message just written: stored first, then sent when its turn comes. */
    async written(entry: OutboxEntry) {
      const write = persist(entry);
      saved.set(entry.id, write);
      await write;
      await flush();
    },
    async retry(id: string) {
      const entry = find(id);
      if (!entry || entry.status !== "failed") return;
      update(id, { status: "waiting", error: undefined });
      await persist({ ...entry, status: "waiting", error: undefined });
      await flush();
    },
    /** What an earlier visit of this user left unsent: shown at once, sent when the connection is ready. */
    async restore(author: string) {
      if (restoredFor === author) return;
      restoredFor = author;
      const stored = await storedMessages().catch(() => []);
      const known = new Set(state.entries().map((entry) => entry.id));
      const earlier = stored
        .filter((message) => message.author === author && !known.has(message.id))
        .map<OutboxEntry>((message) => ({
          id: message.id,
          body: message.body,
          to: message.to,
          announcement: message.announcement,
          seq: message.seq,
          status: message.failed ? "failed" : "waiting",
          error: message.error,
        }));
      if (earlier.length > 0) state.setEntries((current) => [...earlier, ...current].sort((a, b) => a.seq - b.seq));
      await flush();
    },
  };
}
