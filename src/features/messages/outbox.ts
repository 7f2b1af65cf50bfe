import { useAction } from "@solidjs/router";
import { createEffect, createSignal, onCleanup, onMount } from "solid-js";
import { sendMessage } from "./messages.api";
import type { OutboxEngine } from "./outbox-engine";

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

/** What the lazily loaded engine (./outbox-engine) works with. */
export interface OutboxState {
  entries: () => OutboxEntry[];
  setEntries: (change: (entries: OutboxEntry[]) => OutboxEntry[]) => void;
  me: () => string | undefined;
  /** Whether a message belongs to this page (the public feed, or this conversation). */
  here: (entry: { to: string | null }) => boolean;
  ready: () => boolean;
  send: (form: FormData) => Promise<unknown>;
  setOnline: (online: boolean) => void;
}

/**
 * Messages written on a page, sent one at a time in the order written (ADR 0037). Each is kept in
 * IndexedDB until the server accepted it, so one written offline or while the socket reconnects
 * waits there, across reloads, and is sent when the connection is back. A send that may have
 * reached the server is simply sent again: the id the browser chose makes the insert idempotent.
 * This part shows the messages at once; the sending and storing load after mount.
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
  const [entries, setEntries] = createSignal<OutboxEntry[]>([]);
  const [online, setOnline] = createSignal(true);
  const here = (entry: { to: string | null }) => entry.to === (options.to() ?? null);
  const ready = () => online() && options.live();
  const state: OutboxState = {
    entries,
    setEntries,
    me: options.me,
    here,
    ready,
    send,
    setOnline,
  };
  let engine: Promise<OutboxEngine> | undefined;
  const started = () => (engine ??= import("./outbox-engine").then(({ startOutbox }) => startOutbox(state)));
  let lastSeq = 0;

  // Loads the engine once the user is known (it restores what they left unsent) and wakes it
  // whenever the connection is ready again.
  onMount(() => void started());
  onCleanup(() => void engine?.then((outbox) => outbox.stop()));
  createEffect(() => {
    const author = options.me();
    if (!author) return;
    void started().then((outbox) => outbox.restore(author));
  });
  createEffect(() => {
    if (ready()) void started().then((outbox) => outbox.flush());
  });

  return {
    /** This page's messages that the feed does not show yet, in the order written. */
    pending: () => entries().filter((entry) => here(entry) && !options.has(entry.id)),
    /** How many of this page's messages wait for the connection. */
    waiting: () => entries().filter((entry) => here(entry) && entry.status === "waiting").length,
    online,
    enqueue(message: { id: string; body: string; announcement: boolean }) {
      lastSeq = Math.max(Date.now(), lastSeq + 1);
      const entry: OutboxEntry = { ...message, to: options.to() ?? null, seq: lastSeq, status: "waiting" };
      setEntries((current) => [...current, entry]);
      void started().then((outbox) => outbox.written(entry));
    },
    retry(id: string) {
      void started().then((outbox) => outbox.retry(id));
    },
  };
}
