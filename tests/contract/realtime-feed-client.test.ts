import type { AddressInfo } from "node:net";
import { RealtimeClient } from "@supabase/realtime-js";
import type { Sql } from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { type ConnectionState, connectLiveFeed, type MessageChange, type RealtimeAccess } from "../../src/lib/realtime-feed.ts";
import { type Change, insertMessage, signedIn, sql, subscribe, type UserName, waitUntil } from "./realtime-support.ts";
import { freePort } from "../setup/free-port.ts";
import { backend, needsDatabase } from "./support.ts";

/**
 * The feed page's own Realtime client (src/lib/realtime-feed.ts) instead of realtime-js: the same
 * frames as realtime-js, and the same rows, against whichever backend the contract suite runs on.
 */

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
    WebSocket: WebSocket as never,
  });
  watch.close = () => connection.close();
  open.push(watch);
  return watch;
}

async function accessOf(name: UserName): Promise<RealtimeAccess> {
  const { data } = await (await signedIn(name)).auth.getSession();
  if (!data.session) throw new Error(`${name}: no session`);
  return { url: backend.url, apikey: backend.publishableKey, accessToken: data.session.access_token, expiresAt: data.session.expires_at ?? 0 };
}

/** A scripted Realtime peer on 127.0.0.1: records every frame and socket, answers as told. */
async function fakeRealtime(answer: (frame: unknown[], socket: WebSocket) => void, port = 0) {
  const server = new WebSocketServer({ host: "127.0.0.1", port });
  await new Promise((resolve) => server.once("listening", resolve));
  const frames: unknown[][] = [];
  const urls: URL[] = [];
  const sockets: WebSocket[] = [];
  server.on("connection", (socket, request) => {
    urls.push(new URL(request.url ?? "/", "http://x"));
    sockets.push(socket);
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as unknown[];
      frames.push(frame);
      answer(frame, socket);
    });
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames,
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

const token = (suffix: string) => ({ url: "", apikey: "sb_publishable_test", accessToken: `token-${suffix}`, expiresAt: Date.now() / 1000 + 3600 });

describe("the feed's Realtime client speaks the protocol as realtime-js does", () => {
  it("connects and joins with the same URL parameters and the same join payload", async () => {
    const peer = await fakeRealtime(acceptJoin);
    try {
      const access = { ...token("same"), url: peer.url };
      const ours = watchFeed(async () => access);
      await waitUntil(() => ours.subscribed === 1, "our client subscribed");

      const reference = new RealtimeClient(`${peer.url}/realtime/v1`, {
        params: { apikey: access.apikey },
        accessToken: async () => access.accessToken,
        transport: WebSocket as never,
      });
      await reference.setAuth();
      let status = "";
      reference
        .channel("messages-feed")
        .on("postgres_changes", { event: "*", schema: "public", table: "messages" }, () => undefined)
        .subscribe((next) => (status = next));
      await waitUntil(() => status === "SUBSCRIBED", "realtime-js subscribed");
      await reference.disconnect();

      const [ourUrl, theirUrl] = peer.urls;
      expect(ourUrl?.pathname).toBe(theirUrl?.pathname);
      for (const parameter of ["apikey", "vsn"]) expect(ourUrl?.searchParams.get(parameter), parameter).toBe(theirUrl?.searchParams.get(parameter));
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
      if (joins === 1) socket.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "error", response: { reason: "unauthorized" } }]));
      else acceptJoin(frame, socket);
      if (joins === 2) socket.send(JSON.stringify([joinRef, null, topic, "system", { status: "error", message: "Token has expired 1 seconds ago", extension: "system" }]));
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

describe.skipIf(needsDatabase)("the feed's Realtime client against the backend", () => {
  let db: Sql;
  beforeAll(() => {
    db = sql();
  });
  afterAll(async () => {
    await db?.end();
  });

  it("delivers inserts, edits and deletes of public messages with the rows realtime-js delivers; never another user's direct message", async () => {
    const access = await accessOf("bob");
    const ours = watchFeed(async () => access);
    const reference = await subscribe(await signedIn("bob"), [{ event: "*" }]);
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
    expect(mine.map((change) => change.row)).toEqual(theirs.map((change: Change) => (change.eventType === "DELETE" ? change.old : change.new)));
    expect(mine[0]?.row).toMatchObject({ is_announcement: true, body: "hello feed", recipient_id: null });
    expect(mine[2]?.row).toEqual({ id });
    expect(ours.changes.some((change) => change.row.id === hidden)).toBe(false);
    await reference.channel.unsubscribe();
  });
});
