import type { RealtimeChannel, RealtimePostgresChangesPayload, SupabaseClient } from "@supabase/supabase-js";
import { backend, client, database } from "./support.ts";

/** The fixture's seeded users (tests/fixture/supabase/seed.sql); alice is a moderator. */
export const users = {
  alice: { id: "a11ce000-0000-4000-8000-000000000001", email: "alice@example.com" },
  bob: { id: "b0b00000-0000-4000-8000-000000000002", email: "bob@example.com" },
  carol: { id: "ca201000-0000-4000-8000-000000000003", email: "carol@example.com" },
} as const;

export type UserName = keyof typeof users;
export type Row = Record<string, unknown>;
export type Change = RealtimePostgresChangesPayload<Row>;

export async function signedIn(name: UserName): Promise<SupabaseClient> {
  const supabase = client();
  const { error } = await supabase.auth.signInWithPassword({ email: users[name].email, password: "password123" });
  if (error) throw error;
  return supabase;
}

export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface Binding {
  event: "*" | "INSERT" | "UPDATE" | "DELETE";
  table?: string;
  filter?: string;
}

export interface Subscription {
  channel: RealtimeChannel;
  changes: Change[];
  statuses: string[];
  errors: Error[];
  /** Changes whose new or old row has this id. */
  about(id: string): Change[];
  waitFor(predicate: (change: Change) => boolean, what: string, timeoutMs?: number): Promise<Change>;
}

/** Subscribes through unmodified supabase-js and resolves once the channel reports SUBSCRIBED. */
export async function subscribe(supabase: SupabaseClient, bindings: Binding[], name = `test-${Math.random()}`) {
  const changes: Change[] = [];
  const statuses: string[] = [];
  const errors: Error[] = [];
  let channel = supabase.channel(name);
  for (const binding of bindings) {
    channel = channel.on(
      "postgres_changes",
      {
        event: binding.event,
        schema: "public",
        table: binding.table ?? "messages",
        ...(binding.filter ? { filter: binding.filter } : {}),
      } as never,
      (payload: Change) => changes.push(payload),
    );
  }
  channel.subscribe((status, error) => {
    statuses.push(status);
    if (error) errors.push(error);
  });
  await waitUntil(() => statuses.includes("SUBSCRIBED") || statuses.includes("CHANNEL_ERROR"), "SUBSCRIBED");
  if (!statuses.includes("SUBSCRIBED")) throw errors[0] ?? new Error(`channel ${name}: ${statuses.join(", ")}`);
  const about = (id: string) => changes.filter((change) => (change.new as Row)?.id === id || (change.old as Row)?.id === id);
  const subscription: Subscription = {
    channel,
    changes,
    statuses,
    errors,
    about,
    async waitFor(predicate, what, timeoutMs) {
      await waitUntil(() => changes.some(predicate), what, timeoutMs);
      return changes.find(predicate) as Change;
    },
  };
  return subscription;
}

export const sql = () => database();

/** Inserts a message as the admin connection (no PostgREST needed), returning its id. */
export async function insertMessage(
  db: ReturnType<typeof database>,
  values: { author: UserName; recipient?: UserName; body: string; createdAt?: string; announcement?: boolean },
): Promise<string> {
  const [row] = await db<{ id: string }[]>`
    insert into public.messages (author_id, recipient_id, body, is_announcement, created_at)
    values (${users[values.author].id}, ${values.recipient ? users[values.recipient].id : null}, ${values.body},
            ${values.announcement ?? false}, ${values.createdAt ?? new Date().toISOString()})
    returning id`;
  if (!row) throw new Error("insert returned no row");
  return row.id;
}

export interface RawSocket {
  frames: unknown[];
  send(frame: unknown): void;
  waitFor(predicate: (frame: unknown) => boolean, what: string): Promise<unknown>;
  close(): void;
}

/** A bare WebSocket for checking frames byte by byte, as realtime-js would see them. */
export async function rawSocket(vsn: "1.0.0" | "2.0.0", apikey = backend.publishableKey): Promise<RawSocket> {
  const url = `${backend.url.replace(/^http/, "ws")}/realtime/v1/websocket?apikey=${encodeURIComponent(apikey)}&vsn=${vsn}`;
  const ws = new WebSocket(url);
  const frames: unknown[] = [];
  ws.addEventListener("message", (message) => frames.push(JSON.parse(String(message.data))));
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve(), { once: true });
    ws.addEventListener("error", () => reject(new Error(`WebSocket to ${url} failed`)), { once: true });
  });
  return {
    frames,
    send: (frame) => ws.send(JSON.stringify(frame)),
    async waitFor(predicate, what) {
      await waitUntil(() => frames.some(predicate), what);
      return frames.find(predicate);
    },
    close: () => ws.close(),
  };
}
