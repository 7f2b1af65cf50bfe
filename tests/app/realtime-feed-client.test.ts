import type { AddressInfo } from "node:net";
import { RealtimeClient } from "@supabase/realtime-js";
import { createClient } from "@supabase/supabase-js";
import postgres, { type Sql } from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { type ConnectionState, connectLiveFeed, type MessageChange, type RealtimeAccess } from "../../src/lib/realtime-feed.ts";
import { type Change, subscribeAs, waitUntil } from "../fixtures/feed-realtime.ts";
import { freePort } from "@solidstart-supabase/local-supabase/testing";

/**
 * The feed page's own Realtime client (src/lib/realtime-feed.ts) instead of realtime-js: the same
 * frames as realtime-js, and the same rows, against the local Supabase the app runs on.
 */

/** Seeded users (supabase/seed.sql). */
const users = {
  alice: { id: "a11ce000-0000-4000-8000-000000000001", email: "alice@example.com", username: "alice" },
  bob: { id: "b0b00000-0000-4000-8000-000000000002", email: "bob@example.com", username: "bob" },
  carol: { id: "ca201000-0000-4000-8000-000000000003", email: "carol@example.com", username: "carol" },
} as const;
type UserName = keyof typeof users;
const SEED_PASSWORD = "password123";

/** Inserts a message as the admin connection, returning its id. */
async function insertMessage(
  db: Sql,
  values: { author: UserName; recipient?: UserName; body: string; announcement?: boolean },
): Promise<string> {
  const [row] = await db<{ id: string }[]>`
    insert into public.messages (author_id, recipient_id, body, is_announcement)
    values (${users[values.author].id}, ${values.recipient ? users[values.recipient].id : null}, ${values.body}, ${values.announcement ?? false})
    returning id`;
  if (!row) throw new Error("insert returned no row");
  return row.id;
}

interface Watch {
  changes: MessageChange[];
  states: ConnectionState[];
  subscribed: number;
  close(): void;
}

const open: Watch[] = [];
afterEach(() => {
  for (const watch of open.splice(0)) watch.close();
});

function watchFeed(getAccess: () => Promise<RealtimeAccess>): Watch {
  const watch: Watch = { changes: [], states: [], subscribed: 0, close: () => undefined };
  const connection = connectLiveFeed({
    getAccess,
    onChange: (change) => watch.changes.push(change),
    onState: (state) => watch.states.push(state),
    onSubscribed: () => watch.subscribed++,
  });
  watch.close = () => connection.close();
  open.push(watch);
  return watch;
}

async function accessOf(name: UserName): Promise<RealtimeAccess> {
  const supabase = createClient(inject("apiUrl"), inject("publishableKey"), {
    auth: { persistSession: false, autoRefreshToken: false },
  });
  const { data, error } = await supabase.auth.signInWithPassword({ email: users[name].email, password: SEED_PASSWORD });
  if (error || !data.session) throw error ?? new Error(`${name}: no session`);
  return {
    url: inject("apiUrl"),
    apikey: inject("publishableKey"),
    accessToken: data.session.access_token,
    expiresAt: data.session.expires_at ?? 0,
  };
}

/** A scripted Realtime peer on 127.0.0.1: records every frame and socket, answers as told. */
async function fakeRealtime(answer: (frame: unknown[], socket: WebSocket) => void, port = 0) {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise((resolve) => server.once("listening", resolve));
  const frames: unknown[][] = [];
  /** For each frame, the index of the socket it came in on. */
  const frameSockets: number[] = [];
  const urls: URL[] = [];
  const sockets: WebSocket[] = [];
  server.on("connection", (socket, request) => {
    urls.push(new URL(request.url ?? "/", "http://x"));
    const index = sockets.push(socket) - 1;
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      frames.push(frame);
      frameSockets.push(index);
      answer(frame, socket);
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames,
    frameSockets,
    urls,
    sockets,
    close: () => {
      for (const socket of sockets) socket.terminate();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Replies to a join as Supabase Realtime does: ok, with an id per postgres_changes binding. */
function acceptJoin([joinRef, ref, topic, event, payload]: unknown[], socket: WebSocket) {
  if (event !== "phx_join") return;
  const bindings = (payload as { config: { postgres_changes: object[] } }).config.postgres_changes;
  const response = { postgres_changes: bindings.map((binding, index) => ({ ...binding, id: 1000 + index })) };
  socket.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response }]));
}

/** realtime-js subscribed the way the feed subscribes: the reference our client is compared with. */
async function realtimeJsFeed(url: string, apikey: string, accessToken: () => string): Promise<RealtimeClient> {
  const reference = new RealtimeClient(`${url}/realtime/v1`, { params: { apikey }, accessToken: async () => accessToken() });
  await reference.setAuth();
  let status = "";
  reference
    .channel("messages-feed")
    .on("postgres_changes", { event: "*", schema: "public", table: "messages" }, () => undefined)
    .subscribe((next) => (status = next));
  await waitUntil(() => status === "SUBSCRIBED", "realtime-js subscribed");
  return reference;
}

const token = (suffix: string) => ({
  url: "",
  apikey: "sb_publishable_test",
  accessToken: `token-${suffix}`,
  expiresAt: Date.now() / 1000 + 3600,
});

describe("the feed's Realtime client speaks the protocol as realtime-js does", () => {
  it("connects and joins with the same URL parameters and the same join payload", async () => {
    const peer = await fakeRealtime(acceptJoin);
    try {
      const access = { ...token("same"), url: peer.url };
      const ours = watchFeed(async () => access);
      await waitUntil(() => ours.subscribed === 1, "our client subscribed");

      const reference = await realtimeJsFeed(peer.url, access.apikey, () => access.accessToken);
      await reference.disconnect();

      const [ourUrl, theirUrl] = peer.urls;
      expect(ourUrl?.pathname).toBe(theirUrl?.pathname);
      for (const parameter of ["apikey", "vsn"])
        expect(ourUrl?.searchParams.get(parameter), parameter).toBe(theirUrl?.searchParams.get(parameter));
      const joins = peer.frames.filter((frame) => frame[3] === "phx_join");
      expect(joins).toHaveLength(2);
      const [ourJoin, theirJoin] = joins;
      expect(ourJoin?.[2]).toBe(theirJoin?.[2]);
      expect(ourJoin?.[4]).toEqual(theirJoin?.[4]);
      expect(ourJoin?.[0]).toBe(ourJoin?.[1]);
      expect(ours.states).toEqual(["connecting", "live"]);
    } finally {
      await peer.close();
    }
  });

  it("sends heartbeats and a renewed token in the frames realtime-js sends", async () => {
    const peer = await fakeRealtime(acceptJoin);
    try {
      // Each client gets a token that is about to expire, then a fresh one. realtime-js reads a
      // token's exp, so these are JWT-shaped (the peer does not check signatures).
      const jwt = (sub: string, exp: number) =>
        [
          { alg: "ES256", typ: "JWT" },
          { sub, exp, role: "authenticated" },
        ]
          .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url"))
          .join(".") + ".sig";
      const issue = (who: string) => {
        let calls = 0;
        return () => {
          const expiresAt = Math.floor(Date.now() / 1000) + (++calls === 1 ? 60 : 3600);
          return {
            url: peer.url,
            apikey: "sb_publishable_test",
            accessToken: jwt(`${who}-${calls === 1 ? "old" : "new"}`, expiresAt),
            expiresAt,
          };
        };
      };
      const ours = issue("ours");
      const theirs = issue("theirs");
      const watch = watchFeed(async () => ours());
      await waitUntil(() => peer.sockets.length === 1, "our socket first");
      const reference = await realtimeJsFeed(peer.url, "sb_publishable_test", () => theirs().accessToken);
      await waitUntil(() => watch.subscribed === 1, "ours subscribed");

      const [ourSocket, theirSocket] = peer.sockets;
      const framesOf = (socket: WebSocket | undefined) => {
        const index = peer.sockets.indexOf(socket as WebSocket);
        return peer.frames.filter((_, i) => peer.frameSockets[i] === index);
      };
      await waitUntil(
        () => [ourSocket, theirSocket].every((socket) => framesOf(socket).some((frame) => frame[3] === "heartbeat")),
        "a heartbeat from each",
        30_000,
      );
      await waitUntil(
        () => [ourSocket, theirSocket].every((socket) => framesOf(socket).some((frame) => frame[3] === "access_token")),
        "a renewed token from each",
        5_000,
      );
      await reference.disconnect();
      const shape = (frame: unknown[] | undefined) => [
        frame?.[0] === null ? null : "join_ref",
        frame?.[2],
        frame?.[3],
        Object.keys(frame?.[4] as object),
      ];
      const heartbeat = (socket: WebSocket | undefined) => framesOf(socket).find((frame) => frame[3] === "heartbeat");
      const renewal = (socket: WebSocket | undefined) => framesOf(socket).find((frame) => frame[3] === "access_token");
      expect(shape(heartbeat(ourSocket))).toEqual(shape(heartbeat(theirSocket)));
      expect(shape(renewal(ourSocket))).toEqual(shape(renewal(theirSocket)));
      const renewedFor = (frame: unknown[] | undefined) =>
        JSON.parse(
          Buffer.from(String((frame?.[4] as { access_token: string }).access_token.split(".")[1]), "base64url").toString(),
        ).sub;
      expect(renewedFor(renewal(ourSocket))).toBe("ours-new");
      expect(renewedFor(renewal(theirSocket))).toBe("theirs-new");
      // The renewal goes out on the joined channel: its join_ref is the join's.
      expect(renewal(ourSocket)?.[0]).toBe(framesOf(ourSocket).find((frame) => frame[3] === "phx_join")?.[0]);
    } finally {
      await peer.close();
    }
  }, 45_000);

  it("after the socket drops it reconnects, joins again with a fresh token and reports each subscription", async () => {
    const peer = await fakeRealtime(acceptJoin);
    try {
      let issued = 0;
      // Tokens close to expiry are fetched again for every join.
      const ours = watchFeed(async () => ({ ...token(String(++issued)), url: peer.url, expiresAt: Date.now() / 1000 + 60 }));
      await waitUntil(() => ours.subscribed === 1, "first subscription");
      peer.sockets[0]?.terminate();
      await waitUntil(() => ours.subscribed === 2, "second subscription", 5_000);
      const joins = peer.frames.filter((frame) => frame[3] === "phx_join");
      expect(joins.map((frame) => (frame[4] as { access_token: string }).access_token)).toEqual(["token-1", "token-2"]);
      expect(ours.states).toEqual(["connecting", "live", "reconnecting", "live"]);
    } finally {
      await peer.close();
    }
  });

  it("keeps trying while the server is unreachable, and subscribes once it is up", async () => {
    const port = await freePort();
    const ours = watchFeed(async () => ({ ...token("x"), url: `http://127.0.0.1:${port}` }));
    await waitUntil(() => ours.states.includes("reconnecting"), "a failed first connection");
    const peer = await fakeRealtime(acceptJoin, port);
    try {
      await waitUntil(() => ours.subscribed === 1, "subscribed after the server came up", 10_000);
      expect(ours.states.at(-1)).toBe("live");
    } finally {
      await peer.close();
    }
  });

  it("a refused join, a system error or a closed channel make it join afresh instead of staying silent", async () => {
    let joins = 0;
    const peer = await fakeRealtime((frame, socket) => {
      if (frame[3] !== "phx_join") return;
      joins++;
      const [joinRef, ref, topic] = frame;
      if (joins === 1)
        socket.send(
          JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "error", response: { reason: "unauthorized" } }]),
        );
      else acceptJoin(frame, socket);
      if (joins === 2)
        socket.send(
          JSON.stringify([
            joinRef,
            null,
            topic,
            "system",
            { status: "error", message: "Token has expired 1 seconds ago", extension: "system" },
          ]),
        );
      if (joins === 3) socket.send(JSON.stringify([joinRef, ref, topic, "phx_close", {}]));
    });
    try {
      const ours = watchFeed(async () => ({ ...token("x"), url: peer.url }));
      await waitUntil(() => joins === 4 && ours.states.at(-1) === "live", "a fourth, lasting join", 15_000);
      expect(ours.states.filter((state) => state === "reconnecting")).toHaveLength(3);
    } finally {
      await peer.close();
    }
  });
});

describe("the feed's Realtime client against the backend", () => {
  let db: Sql;
  beforeAll(() => {
    db = postgres(inject("appDatabaseUrl"), { max: 2, onnotice: () => undefined });
  });
  afterAll(async () => {
    await db?.end();
  });

  it("delivers inserts, edits and deletes of public messages with the rows realtime-js delivers; never another user's direct message", async () => {
    const access = await accessOf("bob");
    const ours = watchFeed(async () => access);
    const reference = await subscribeAs({ ...users.bob, password: SEED_PASSWORD });
    await waitUntil(() => ours.subscribed === 1, "our client subscribed");

    const hidden = await insertMessage(db, { author: "carol", recipient: "alice", body: "not for bob" });
    const id = await insertMessage(db, { author: "alice", body: "hello feed", announcement: true });
    const seen = (count: number) => () =>
      ours.changes.filter((change) => change.row.id === id).length === count && reference.about(id).length === count;
    await waitUntil(seen(1), "the insert");
    await db`update public.messages set body = 'hello again', edited_at = now() where id = ${id}`;
    await waitUntil(seen(2), "the edit");
    await db`delete from public.messages where id = ${id}`;
    await waitUntil(seen(3), "the delete");

    const mine = ours.changes.filter((change) => change.row.id === id);
    const theirs = reference.about(id);
    expect(mine.map((change) => change.type)).toEqual(["INSERT", "UPDATE", "DELETE"]);
    expect(mine.map((change) => change.row)).toEqual(
      theirs.map((change: Change) => (change.eventType === "DELETE" ? change.old : change.new)),
    );
    expect(mine[0]?.row).toMatchObject({ is_announcement: true, body: "hello feed", recipient_id: null });
    expect(mine[2]?.row).toEqual({ id });
    expect(ours.changes.some((change) => change.row.id === hidden)).toBe(false);
    await reference.close();
  });
});
