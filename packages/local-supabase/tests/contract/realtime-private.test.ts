import { randomUUID } from "node:crypto";
import { createClient, type RealtimeChannel, type SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Backend } from "../../src/backend.ts";
import { signedIn, sql, type UserName, waitUntil } from "./realtime-support.ts";
import { backend, needsDatabase, onlyEmbedded } from "./support.ts";
import { startVariant } from "./variant.ts";

/**
 * Policies scoped to this run's topics, which spell out who may do what:
 * `<prefix>:<label>:<readers>:<broadcast senders>:<presence trackers>`, names joined by `+`
 * (the local part of the seeded users' emails). Apps write the same policies against tables.
 */
const prefix = `contract-private-${randomUUID().slice(0, 8)}`;
const person = `split_part((select auth.jwt() ->> 'email'), '@', 1)`;
const part = (n: number | string) => `string_to_array(split_part(realtime.topic(), ':', ${n}), '+')`;

function topicFor(readers: UserName[], senders: UserName[] = [], trackers: UserName[] = []): string {
  return [prefix, randomUUID().slice(0, 6), readers.join("+"), senders.join("+"), trackers.join("+")].join(":");
}

interface Joined {
  channel: RealtimeChannel;
  statuses: string[];
  errors: Error[];
  broadcasts: Record<string, unknown>[];
  system: Record<string, unknown>[];
}

/** Joins through unmodified supabase-js and resolves at the first SUBSCRIBED or CHANNEL_ERROR. */
async function joinChannel(supabase: SupabaseClient, topic: string, config: Record<string, unknown> = { private: true }) {
  const joined: Joined = {
    channel: supabase.channel(topic, { config }),
    statuses: [],
    errors: [],
    broadcasts: [],
    system: [],
  };
  joined.channel
    .on("broadcast", { event: "*" }, (message) => joined.broadcasts.push(message))
    .on("system", {}, (message) => joined.system.push(message))
    .subscribe((status, error) => {
      joined.statuses.push(status);
      if (error) joined.errors.push(error);
    });
  await waitUntil(
    () => joined.statuses.includes("SUBSCRIBED") || joined.statuses.includes("CHANNEL_ERROR"),
    `SUBSCRIBED or CHANNEL_ERROR on ${topic}`,
  );
  return joined;
}

const unauthorized = (topic: string) => `Unauthorized: You do not have permissions to read from this Channel topic: ${topic}`;

describe.skipIf(needsDatabase)("Realtime private channels authorized by realtime.messages policies", () => {
  let db: Sql;
  const clients: SupabaseClient[] = [];
  const tokens = new Map<UserName, string>();

  beforeAll(async () => {
    db = sql();
    await db.unsafe(`
      create policy "${prefix} read" on realtime.messages for select to authenticated
        using (split_part(realtime.topic(), ':', 1) = '${prefix}' and ${person} = any(${part(3)}));
      create policy "${prefix} write" on realtime.messages for insert to authenticated
        with check (split_part(realtime.topic(), ':', 1) = '${prefix}'
                    and ${person} = any(${part("case extension when 'broadcast' then 4 when 'presence' then 5 end")}));`);
  });
  afterAll(async () => {
    for (const supabase of clients) await supabase.removeAllChannels();
    await db?.unsafe(`drop policy if exists "${prefix} read" on realtime.messages;
                      drop policy if exists "${prefix} write" on realtime.messages;`);
    await db?.end();
  });

  async function tokenOf(name: UserName): Promise<string> {
    let token = tokens.get(name);
    if (!token) {
      const supabase = await signedIn(name);
      token = (await supabase.auth.getSession()).data.session?.access_token ?? "";
      tokens.set(name, token);
    }
    return token;
  }

  /** A client whose access token the test swaps, as an app's `accessToken` option would. */
  async function as(name: UserName) {
    const state = { token: await tokenOf(name) };
    const supabase = createClient(backend.url, backend.publishableKey, { accessToken: async () => state.token });
    clients.push(supabase);
    await supabase.realtime.setAuth();
    return {
      supabase,
      async become(other: UserName) {
        state.token = await tokenOf(other);
        await supabase.realtime.setAuth();
      },
    };
  }

  it("joins when the subscriber's SELECT policies let them read the topic", async () => {
    const topic = topicFor(["alice", "bob"]);
    const [alice, bob] = await Promise.all([as("alice"), as("bob")]);
    expect((await joinChannel(alice.supabase, topic)).statuses).toEqual(["SUBSCRIBED"]);
    expect((await joinChannel(bob.supabase, topic)).statuses).toEqual(["SUBSCRIBED"]);
  });

  it("refuses a join the policies do not allow with Supabase's Unauthorized reason", async () => {
    const topic = topicFor(["alice"]);
    const carol = await joinChannel((await as("carol")).supabase, topic);
    expect(carol.statuses[0]).toBe("CHANNEL_ERROR");
    expect(carol.errors[0]?.message).toBe(unauthorized(topic));
    const anonymous = createClient(backend.url, backend.publishableKey, { auth: { persistSession: false } });
    clients.push(anonymous);
    const refused = await joinChannel(anonymous, topic);
    expect(refused.errors[0]?.message).toBe(unauthorized(topic));
  });

  it("relays a private broadcast only from senders the INSERT policy allows, only to private readers", async () => {
    const topic = topicFor(["alice", "bob", "carol"], ["alice"]);
    const [alice, bob, carol] = await Promise.all([as("alice"), as("bob"), as("carol")]);
    const aliceChannel = await joinChannel(alice.supabase, topic);
    const bobChannel = await joinChannel(bob.supabase, topic);
    const carolChannel = await joinChannel(carol.supabase, topic);
    // A public channel of the same name is another topic (another client: realtime-js keeps one channel per name).
    const bobPublic = await joinChannel((await as("bob")).supabase, topic, { private: false });
    expect([aliceChannel, bobChannel, carolChannel, bobPublic].map((joined) => joined.statuses)).toEqual(
      Array(4).fill(["SUBSCRIBED"]),
    );

    await carolChannel.channel.send({ type: "broadcast", event: "note", payload: { from: "carol" } });
    // The channel answers pushes in order, so once her (refused) track is answered the broadcast was dropped.
    expect(await carolChannel.channel.track({ here: true })).toBe("error");
    const sent = await aliceChannel.channel.send({ type: "broadcast", event: "note", payload: { from: "alice" } });
    expect(sent).toBe("ok");
    await waitUntil(() => bobChannel.broadcasts.length > 0 && carolChannel.broadcasts.length > 0, "alice's broadcast");
    expect(bobChannel.broadcasts.map((message) => message.payload)).toEqual([{ from: "alice" }]);
    expect(carolChannel.broadcasts.map((message) => message.payload)).toEqual([{ from: "alice" }]);
    expect(bobPublic.broadcasts).toEqual([]);
  });

  it("re-evaluates the policies on a new access token: write rights follow it, lost read stops the channel", async () => {
    const topic = topicFor(["alice", "bob"], ["bob"]);
    const [client, watcher] = await Promise.all([as("alice"), as("bob")]);
    const watching = await joinChannel(watcher.supabase, topic, { private: true, broadcast: { self: true } });
    const joined = await joinChannel(client.supabase, topic);
    expect(joined.statuses).toEqual(["SUBSCRIBED"]);

    await joined.channel.send({ type: "broadcast", event: "note", payload: { n: 1 } });
    await client.become("bob");
    expect(await joined.channel.send({ type: "broadcast", event: "note", payload: { n: 2 } })).toBe("ok");
    await waitUntil(() => watching.broadcasts.length > 0, "the broadcast sent as bob");
    expect(watching.broadcasts.map((message) => message.payload)).toEqual([{ n: 2 }]);
    expect(joined.broadcasts).toEqual([]);

    await client.become("carol");
    await waitUntil(() => joined.system.length > 0, "the system message");
    expect(joined.system[0]).toMatchObject({
      extension: "system",
      status: "error",
      message: `You no longer have permission to read from this Channel topic: ${topic}`,
    });
    await waitUntil(() => joined.statuses.includes("CHANNEL_ERROR"), "the channel stops");
    await watching.channel.send({ type: "broadcast", event: "note", payload: { n: 3 } });
    await waitUntil(() => watching.broadcasts.length > 1, "a later broadcast");
    expect(joined.broadcasts).toEqual([]);
  });
  it("broadcasts rows written by realtime.send to the topic's authorized subscribers, in commit order, once", async () => {
    const topic = topicFor(["alice", "bob"]);
    const [alice, bob] = await Promise.all([as("alice"), as("bob")]);
    const readers = [await joinChannel(alice.supabase, topic), await joinChannel(bob.supabase, topic)];
    const publicOne = await joinChannel((await as("carol")).supabase, topic, { private: false });
    const send = (tx: Sql, n: string, isPrivate = true) =>
      tx`select realtime.send(jsonb_build_object('n', ${n}::text), 'tick', ${topic}, ${isPrivate})`;

    const writers = 4;
    const perWriter = 8;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; n < perWriter; n++) await send(db, `${writer}.${n}`);
      }),
    );
    await db.begin(async (tx) => {
      await send(tx as unknown as Sql, "tx.a");
      await send(tx as unknown as Sql, "tx.b");
    });
    await db
      .begin(async (tx) => {
        await send(tx as unknown as Sql, "rolled back");
        throw new Error("roll back");
      })
      .catch(() => undefined);
    await send(db, "public", false);
    await send(db, "last");

    const total = writers * perWriter + 3;
    for (const reader of readers) await waitUntil(() => reader.broadcasts.length >= total, "every private row");
    await waitUntil(() => publicOne.broadcasts.length > 0, "the public row");
    const seen = readers.map((reader) => reader.broadcasts.map((message) => (message.payload as { n: string }).n));
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]).toHaveLength(total);
    expect(new Set(seen[0]).size).toBe(total);
    expect(seen[0]?.slice(-3)).toEqual(["tx.a", "tx.b", "last"]);
    for (let writer = 0; writer < writers; writer++) {
      const mine = seen[0]?.filter((n) => n.startsWith(`${writer}.`));
      expect(mine).toEqual(Array.from({ length: perWriter }, (_, n) => `${writer}.${n}`));
    }
    const [first] = readers[0]?.broadcasts ?? [];
    expect(first).toMatchObject({ type: "broadcast", event: "tick" });
    expect((first?.payload as { id: string }).id).toBe((first?.meta as { id: string }).id);
    expect(publicOne.broadcasts.map((message) => (message.payload as { n: string }).n)).toEqual(["public"]);
  });

  it("broadcasts realtime.broadcast_changes rows from a trigger with Supabase's payload", async () => {
    const topic = topicFor(["bob"]);
    const table = `contract_broadcast_${prefix.slice(-8)}`;
    await db.unsafe(`
      create table public.${table} (id int primary key, body text);
      create function public.${table}_changes() returns trigger language plpgsql as $$
      begin
        perform realtime.broadcast_changes('${topic}', tg_op, tg_op, tg_table_name, tg_table_schema, new, old);
        return null;
      end $$;
      create trigger ${table}_changes after insert or update or delete on public.${table}
        for each row execute function public.${table}_changes();`);
    try {
      const bob = await joinChannel((await as("bob")).supabase, topic);
      await db.unsafe(`insert into public.${table} values (1, 'a')`);
      await db.unsafe(`update public.${table} set body = 'b'`);
      await db.unsafe(`delete from public.${table}`);
      await waitUntil(() => bob.broadcasts.length >= 3, "three changes");
      const common = { type: "broadcast", payload: { table, schema: "public" } };
      expect(bob.broadcasts).toMatchObject([
        { ...common, event: "INSERT", payload: { operation: "INSERT", record: { id: 1, body: "a" }, old_record: null } },
        {
          ...common,
          event: "UPDATE",
          payload: { operation: "UPDATE", record: { id: 1, body: "b" }, old_record: { id: 1, body: "a" } },
        },
        { ...common, event: "DELETE", payload: { operation: "DELETE", record: null, old_record: { id: 1, body: "b" } } },
      ]);
      expect(bob.broadcasts).toHaveLength(3);
    } finally {
      await db.unsafe(`drop table public.${table}; drop function public.${table}_changes();`);
    }
  });
  it("serves the REST broadcast endpoint: send() without a socket and httpSend(), private ones by the write policy", async () => {
    const topic = topicFor(["bob"], ["alice"]);
    const reader = await joinChannel((await as("bob")).supabase, topic);
    const publicReader = await joinChannel((await as("bob")).supabase, topic, { private: false });
    const server = createClient(backend.url, backend.secretKey, { auth: { persistSession: false } });
    clients.push(server);
    const [alice, carol] = await Promise.all([as("alice"), as("carol")]);

    const serverPrivate = server.channel(topic, { config: { private: true } });
    expect(await serverPrivate.send({ type: "broadcast", event: "note", payload: { from: "server" } })).toBe("ok");
    await server.removeChannel(serverPrivate);
    const serverPublic = server.channel(topic);
    expect(await serverPublic.send({ type: "broadcast", event: "note", payload: { from: "server, public" } })).toBe("ok");
    await server.removeChannel(serverPublic);
    await expect(
      carol.supabase.channel(topic, { config: { private: true } }).httpSend("note", { from: "carol" }),
    ).rejects.toThrow("Unauthorized");
    await expect(
      alice.supabase.channel(topic, { config: { private: true } }).httpSend("note", { from: "alice" }),
    ).resolves.toEqual({ success: true });

    await waitUntil(() => reader.broadcasts.length >= 2 && publicReader.broadcasts.length >= 1, "the REST broadcasts");
    expect(reader.broadcasts.map((message) => message.payload)).toEqual([{ from: "server" }, { from: "alice" }]);
    expect(reader.broadcasts[0]).toMatchObject({ type: "broadcast", event: "note" });
    expect(publicReader.broadcasts.map((message) => message.payload)).toEqual([{ from: "server, public" }]);
  });

  it("answers the batch endpoint as Supabase does: 202, refused private messages skipped, 422 for bad batches", async () => {
    const topic = topicFor(["bob"], ["alice"]);
    const reader = await joinChannel((await as("bob")).supabase, topic);
    const post = (body: unknown, token?: string) =>
      fetch(`${backend.url}/realtime/v1/api/broadcast`, {
        method: "POST",
        headers: {
          apikey: backend.publishableKey,
          "content-type": "application/json",
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(body),
      });
    const batch = (from: string) => ({
      messages: [{ topic, event: "note", payload: { from }, private: true, id: `${from}-1` }],
    });
    const refused = await post(batch("carol"), await tokenOf("carol"));
    expect(refused.status).toBe(202);
    const accepted = await post(batch("alice"), await tokenOf("alice"));
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe("");
    await waitUntil(() => reader.broadcasts.length > 0, "alice's batch");
    expect(reader.broadcasts).toEqual([
      expect.objectContaining({ type: "broadcast", event: "note", payload: { from: "alice" }, meta: { id: "alice-1" } }),
    ]);

    const empty = await post({});
    expect(empty.status).toBe(422);
    expect(await empty.json()).toEqual({ errors: { messages: ["can't be blank"] } });
    const incomplete = await post({
      messages: [
        { topic, event: "note", payload: {} },
        { topic, payload: {} },
      ],
    });
    expect(incomplete.status).toBe(422);
    expect(await incomplete.json()).toEqual({ errors: { messages: [{}, { event: ["can't be blank"] }] } });
    const garbled = await fetch(`${backend.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { apikey: backend.publishableKey, "content-type": "application/json" },
      body: "{not json",
    });
    expect(garbled.status).toBe(400);
    const keyless = await fetch(`${backend.url}/realtime/v1/api/broadcast`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(batch("nobody")),
    });
    expect(keyless.status).toBe(401);
    expect(reader.broadcasts).toHaveLength(1);
  });
  it("keeps Presence on a private channel: tracks by the write policy, state, diffs, untrack, leave on disconnect", async () => {
    const topic = topicFor(["alice", "bob", "carol"], [], ["alice", "bob"]);
    const members = async (name: UserName) => {
      const client = await as(name);
      const events: { kind: string; key: string }[] = [];
      const channel = client.supabase
        .channel(topic, { config: { private: true, presence: { key: name } } })
        .on("presence", { event: "sync" }, () => events.push({ kind: "sync", key: "" }))
        .on("presence", { event: "join" }, ({ key }) => events.push({ kind: "join", key }))
        .on("presence", { event: "leave" }, ({ key }) => events.push({ kind: "leave", key }));
      const statuses: string[] = [];
      channel.subscribe((status) => statuses.push(status));
      await waitUntil(() => statuses.includes("SUBSCRIBED") || statuses.includes("CHANNEL_ERROR"), `${name} joins`);
      expect(statuses).toEqual(["SUBSCRIBED"]);
      const keys = () => Object.keys(channel.presenceState()).sort();
      return { client, channel, events, keys };
    };
    const alice = await members("alice");
    expect(await alice.channel.track({ status: "here" })).toBe("ok");
    await waitUntil(() => alice.keys().includes("alice"), "alice sees herself");

    // A later member gets the state at join.
    const bob = await members("bob");
    await waitUntil(() => bob.keys().includes("alice"), "presence_state with alice");
    expect(bob.channel.presenceState().alice?.[0]).toMatchObject({ status: "here" });
    expect(await bob.channel.track({ status: "typing" })).toBe("ok");
    await waitUntil(() => alice.keys().includes("bob"), "alice sees bob join");

    // Carol may read the topic but not track in it.
    const carol = await members("carol");
    await waitUntil(() => carol.keys().join() === "alice,bob", "carol sees both");
    expect(await carol.channel.track({ status: "lurking" })).toBe("error");
    expect(await bob.channel.untrack()).toBe("ok");
    await waitUntil(() => carol.keys().join() === "alice", "bob untracked");
    expect(alice.keys()).not.toContain("carol");

    alice.client.supabase.realtime.disconnect();
    await waitUntil(() => carol.keys().length === 0 && bob.keys().length === 0, "alice leaves on disconnect");
    expect(carol.events.filter((event) => event.kind === "leave").map((event) => event.key)).toEqual(["bob", "alice"]);
  });
});

describe.skipIf(onlyEmbedded || needsDatabase)("embedded: private-only mode", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  let own: Backend;

  beforeAll(async () => {
    variant = await startVariant(() => undefined, { realtime: { privateOnly: true } });
    own = variant.backend;
  });
  afterAll(async () => {
    await variant?.stop();
  });

  it("refuses public channels with PrivateOnly and still joins private ones", async () => {
    const open = createClient(own.apiUrl, own.publishableKey, { auth: { persistSession: false } });
    // The secret key acts as service_role, which reads realtime.messages past RLS.
    const trusted = createClient(own.apiUrl, own.secretKey, { auth: { persistSession: false } });
    try {
      const refused = await joinChannel(open, "room", {});
      expect(refused.errors[0]?.message).toBe("PrivateOnly: This project only allows private channels");
      expect((await joinChannel(trusted, "room")).statuses).toEqual(["SUBSCRIBED"]);
    } finally {
      await open.removeAllChannels();
      await trusted.removeAllChannels();
    }
  });
});
