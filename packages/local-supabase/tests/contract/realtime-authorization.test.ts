import { randomUUID } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateKeys } from "../../src/auth/keys.ts";
import { signAccessToken } from "../../src/auth/tokens.ts";
import type { Backend } from "../../src/backend.ts";
import { insertMessage, type Row, signedIn, sql, subscribe, type Subscription, users, waitUntil } from "./realtime-support.ts";
import { backend, needsDatabase, onlyEmbedded } from "./support.ts";
import { startVariant } from "./variant.ts";

describe.skipIf(needsDatabase)("Realtime per-subscriber authorization and ordering", () => {
  let db: Sql;
  const clients: SupabaseClient[] = [];

  beforeAll(() => {
    db = sql();
  });
  afterAll(async () => {
    for (const supabase of clients) await supabase.removeAllChannels();
    await db?.end();
  });

  async function as(name: "alice" | "bob" | "carol"): Promise<SupabaseClient> {
    const supabase = await signedIn(name);
    clients.push(supabase);
    return supabase;
  }

  it("a direct message reaches sender and recipient once each, never a third user (not even a moderator)", async () => {
    const [alice, bob, carol] = await Promise.all([as("alice"), as("bob"), as("carol")]);
    const anonymous = createClient(backend.url, backend.publishableKey, {
      auth: { persistSession: false, autoRefreshToken: false },
    });
    clients.push(anonymous);
    const subs: Record<string, Subscription> = {
      alice: await subscribe(alice, [{ event: "*" }]),
      bob: await subscribe(bob, [{ event: "*" }]),
      carol: await subscribe(carol, [{ event: "INSERT" }, { event: "*" }]),
      anonymous: await subscribe(anonymous, [{ event: "*" }]),
    };
    const direct = await insertMessage(db, { author: "bob", recipient: "carol", body: "just for carol" });
    // A later public message: per-subscriber commit order means the DM would have arrived first.
    const open = await insertMessage(db, { author: "alice", body: "for everyone signed in" });
    for (const name of ["alice", "bob", "carol"]) {
      await waitUntil(() => (subs[name]?.about(open).length ?? 0) > 0, `${name} gets the public message`);
    }
    expect(subs.bob?.about(direct)).toHaveLength(1);
    // Two bindings matching one change arrive as one message carrying both ids.
    expect(subs.carol?.about(direct)).toHaveLength(2);
    expect(subs.carol?.about(direct).map((c) => (c.new as Row).body)).toEqual(["just for carol", "just for carol"]);
    expect(subs.alice?.about(direct)).toHaveLength(0);
    // The tombstone update of the DM stays private too.
    await db`update public.messages set deleted_at = now() where id = ${direct}`;
    await waitUntil(() => (subs.bob?.about(direct).length ?? 0) === 2, "bob sees the tombstone");
    const marker = await insertMessage(db, { author: "carol", body: "after the tombstone" });
    await waitUntil(() => (subs.alice?.about(marker).length ?? 0) > 0, "alice gets the marker");
    expect(subs.alice?.about(direct)).toHaveLength(0);
    // RLS allows public messages to signed-in users only.
    expect(subs.anonymous?.about(open)).toHaveLength(0);
    expect(subs.anonymous?.about(direct)).toHaveLength(0);
  });

  it("delivers in commit order under concurrent writers, the same order to every subscriber", async () => {
    const [alice, bob] = await Promise.all([as("alice"), as("bob")]);
    const run = randomUUID().slice(0, 8);
    const watchers = [await subscribe(alice, [{ event: "INSERT" }]), await subscribe(bob, [{ event: "INSERT" }])];
    const writers = 6;
    const perWriter = 15;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let n = 0; n < perWriter; n++) {
          await db.begin(async (tx) => {
            await tx`insert into public.messages (author_id, body) values (${users.bob.id}, ${`${run} ${writer} ${n} a`})`;
            await tx`insert into public.messages (author_id, body) values (${users.bob.id}, ${`${run} ${writer} ${n} b`})`;
          });
        }
      }),
    );
    const ours = (sub: Subscription) =>
      sub.changes.map((c) => String((c.new as Row).body)).filter((body) => body.startsWith(`${run} `));
    for (const sub of watchers) {
      await waitUntil(() => ours(sub).length === writers * perWriter * 2, "all inserts", 20_000);
    }
    const [first, second] = watchers.map(ours);
    expect(second).toEqual(first);
    for (let writer = 0; writer < writers; writer++) {
      const sequence = (first ?? []).filter((body) => body.startsWith(`${run} ${writer} `));
      const expected = Array.from({ length: perWriter }, (_, n) => [`${run} ${writer} ${n} a`, `${run} ${writer} ${n} b`]).flat();
      expect(sequence).toEqual(expected);
    }
    // The two rows of one transaction are adjacent: a transaction is delivered as a unit.
    (first ?? []).forEach((body, index) => {
      if (body.endsWith(" a")) expect(first?.[index + 1]).toBe(body.replace(/ a$/, " b"));
    });
    const stamps = watchers[0]?.changes.map((c) => Date.parse(c.commit_timestamp)) ?? [];
    expect(stamps.every((stamp) => Number.isFinite(stamp))).toBe(true);
  });
});

describe.skipIf(onlyEmbedded || needsDatabase)("embedded: Realtime token expiry and renewal", () => {
  let variant: Awaited<ReturnType<typeof startVariant>>;
  let own: Backend;
  let db: Sql;

  beforeAll(async () => {
    // A second backend on the same database whose signing key the test holds, to mint short tokens.
    variant = await startVariant(() => undefined);
    own = variant.backend;
    db = sql();
  });
  afterAll(async () => {
    await db?.end();
    await variant?.stop();
  });

  async function tokenFor(name: "bob" | "carol", secondsLeft: number): Promise<string> {
    const keys = await loadOrCreateKeys(variant.stateDir);
    const now = Math.floor(Date.now() / 1000);
    return signAccessToken(keys, {
      iss: `${own.apiUrl}/auth/v1`,
      sub: users[name].id,
      aud: "authenticated",
      exp: now + secondsLeft,
      iat: now,
      email: users[name].email,
      phone: "",
      app_metadata: { provider: "email", providers: ["email"] },
      user_metadata: {},
      role: "authenticated",
      aal: "aal1",
      amr: [{ method: "password", timestamp: now }],
      session_id: randomUUID(),
      is_anonymous: false,
    });
  }

  it("errors the channel when the token expires, delivers nothing until a new token, then resumes", async () => {
    let token = await tokenFor("bob", 2);
    const supabase = createClient(own.apiUrl, own.publishableKey, {
      accessToken: async () => token,
    });
    try {
      // Otherwise the first join can go out before the callback's token is known (then as anon).
      await supabase.realtime.setAuth();
      const sub = await subscribe(supabase, [{ event: "INSERT" }]);
      const before = await insertMessage(db, { author: "carol", body: "before expiry" });
      await sub.waitFor((c) => (c.new as Row).id === before, "delivery before expiry");

      await waitUntil(() => sub.statuses.includes("CHANNEL_ERROR"), "CHANNEL_ERROR at expiry", 6_000);
      const during = await insertMessage(db, { author: "carol", body: "while expired" });

      token = await tokenFor("bob", 60);
      await supabase.realtime.setAuth();
      const subscribedAgain = () => sub.statuses.lastIndexOf("SUBSCRIBED") > sub.statuses.indexOf("CHANNEL_ERROR");
      await waitUntil(subscribedAgain, "SUBSCRIBED again after renewal", 20_000);
      const after = await insertMessage(db, { author: "carol", body: "after renewal" });
      await sub.waitFor((c) => (c.new as Row).id === after, "delivery after renewal");
      expect(sub.about(during)).toHaveLength(0);
    } finally {
      await supabase.removeAllChannels();
    }
  });

  it("answers a join with an expired token with CHANNEL_ERROR naming the expiry", async () => {
    const expired = await tokenFor("bob", -30);
    const supabase = createClient(own.apiUrl, own.publishableKey, {
      accessToken: async () => expired,
    });
    try {
      await supabase.realtime.setAuth();
      const errors: Error[] = [];
      supabase.channel("expired-join").subscribe((status, error) => {
        if (status === "CHANNEL_ERROR" && error) errors.push(error);
      });
      await waitUntil(() => errors.length > 0, "CHANNEL_ERROR");
      expect(errors[0]?.message).toMatch(/Token has expired/);
    } finally {
      await supabase.removeAllChannels();
    }
  });
});
