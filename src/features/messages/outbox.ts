import { useAction } from "@solidjs/router";
import { createEffect, createSignal, onCleanup, onMount } from "solid-js";
import { createStore, produce } from "solid-js/store";
import { sendMessage } from "./messages.api";
import type { StoredMessage } from "./outbox-store";

/** Where a message written on this page stands; "sent" ones stay shown until the feed has them. */
export interface OutboxEntry {
  id: string;
  body: string;
  to: string | null;
  announcement: boolean;
  seq: number;
  status: "waiting" | "sending" | "sent" | "failed";
  error?: string;
}

/** Forms the outbox submitted: the send form shows only its own (no-JavaScript) errors. */
const outboxForms = new WeakSet<FormData>();
export const isOutboxForm = (input: unknown[]) => input[0] instanceof FormData && outboxForms.has(input[0]);

const store = () => import("./outbox-store");

function toStored(entry: OutboxEntry, author: string): StoredMessage {
  const { id, body, to, announcement, seq } = entry;
  return { id, author, body, to, announcement, seq, failed: entry.status === "failed", error: entry.error };
}

/**
 * Messages written on a page, sent one at a time in the order written (ADR 0037). Each is kept in
 * IndexedDB until the server accepted it, so one written offline or while the socket reconnects
 * waits there, across reloads, and is sent when the connection is back. A send that may have
 * reached the server is simply sent again: the id the browser chose makes the insert idempotent.
 */
export function createOutbox(options: {
  /** The signed-in user: a browser shared by several keeps each one's messages apart. */
  me: () => string | undefined;
  /** The conversation's other participant; undefined on the public feed. */
  to: () => string | undefined;
  /** Whether the live connection is up (messages wait while it reconnects). */
  live: () => boolean;
  /** Whether the feed already shows this message. */
  has: (id: string) => boolean;
}) {
  const send = useAction(sendMessage);
  const [entries, setEntries] = createStore<OutboxEntry[]>([]);
  const [online, setOnline] = createSignal(true);
  // A message's first write to IndexedDB: removing it must wait for that write, or the stale
  // copy would come back after a reload (and be sent again, harmlessly, but shown as pending).
  const saved = new Map<string, Promise<void>>();
  let flushing = false;
  let lastSeq = 0;

  const here = (entry: { to: string | null }) => entry.to === (options.to() ?? null);
  const ready = () => online() && options.live();
  const update = (id: string, change: Partial<OutboxEntry>) =>
    setEntries(
      (entry) => entry.id === id,
      produce((entry) => Object.assign(entry, change)),
    );

  function persist(entry: OutboxEntry): Promise<void> {
    const author = options.me();
    if (!author) return Promise.resolve();
    // Without IndexedDB (disabled storage) the outbox still works for as long as the page is open.
    return store()
      .then(({ saveMessage }) => saveMessage(toStored(entry, author)))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  function forget(id: string): Promise<void> {
    return store()
      .then(({ removeMessage }) => removeMessage(id))
      .then(
        () => undefined,
        () => undefined,
      );
  }

  function formOf(entry: OutboxEntry): FormData {
    const form = new FormData();
    form.set("id", entry.id);
    form.set("body", entry.body);
    if (entry.to) form.set("to", entry.to);
    if (entry.announcement) form.set("announcement", "on");
    outboxForms.add(form);
    return form;
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (ready()) {
        const next = entries.find((entry) => entry.status === "waiting" && here(entry));
        if (!next) break;
        const entry = { ...next };
        update(entry.id, { status: "sending", error: undefined });
        try {
          await send(formOf(entry));
          update(entry.id, { status: "sent" });
          await saved.get(entry.id);
          saved.delete(entry.id);
          await forget(entry.id);
        } catch (error) {
          if (navigator.onLine === false) {
            // Lost the connection on the way: it waits for the next flush like the others.
            update(entry.id, { status: "waiting" });
            break;
          }
          const message =
            error instanceof Error && !(error instanceof TypeError) ? error.message : "the server could not be reached.";
          update(entry.id, { status: "failed", error: message });
          await persist({ ...entry, status: "failed", error: message });
        }
      }
    } finally {
      flushing = false;
    }
    // Something may have been written, or the connection come back, while the last send ran.
    if (ready() && entries.some((entry) => entry.status === "waiting" && here(entry))) void flush();
  }

  onMount(() => {
    setOnline(navigator.onLine !== false);
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener("online", up);
    window.addEventListener("offline", down);
    onCleanup(() => {
      window.removeEventListener("online", up);
      window.removeEventListener("offline", down);
    });
  });

  // What an earlier visit of this user left unsent: shown at once, sent when the connection is ready.
  let restored = false;
  createEffect(() => {
    const author = options.me();
    if (!author || restored) return;
    restored = true;
    void store()
      .then(({ storedMessages }) => storedMessages())
      .then(
        (stored) => {
          const known = new Set(entries.map((entry) => entry.id));
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
          for (const message of earlier) lastSeq = Math.max(lastSeq, message.seq);
          setEntries((current) => [...earlier, ...current].sort((a, b) => a.seq - b.seq));
          void flush();
        },
        () => undefined,
      );
  });

  createEffect(() => {
    if (ready()) void flush();
  });

  return {
    /** This page's messages that the feed does not show yet, in the order written. */
    pending: () => entries.filter((entry) => here(entry) && !options.has(entry.id)),
    /** How many of this page's messages wait for the connection. */
    waiting: () => entries.filter((entry) => here(entry) && entry.status === "waiting").length,
    online,
    async enqueue(message: { id: string; body: string; announcement: boolean }) {
      lastSeq = Math.max(Date.now(), lastSeq + 1);
      const entry: OutboxEntry = { ...message, to: options.to() ?? null, seq: lastSeq, status: "waiting" };
      setEntries(entries.length, entry);
      const write = persist(entry);
      saved.set(entry.id, write);
      await write;
      void flush();
    },
    async retry(id: string) {
      const entry = entries.find((candidate) => candidate.id === id);
      if (!entry || entry.status !== "failed") return;
      update(id, { status: "waiting", error: undefined });
      await persist({ ...entry, status: "waiting", error: undefined });
      void flush();
    },
  };
}
