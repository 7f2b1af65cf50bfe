import { sql } from "drizzle-orm";
import type { Sql } from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { conversationTopic, FEED_TOPIC, signalTopicOf, userTopic } from "../../../src/lib/domain/realtime-topics.ts";
import { ALICE, BOB, CAROL, claimsFor, createUser, moderatorClaims, SEED_DM, useRlsDatabase } from "./support.ts";

const ctx = useRlsDatabase();
let bob: VerifiedClaims;
let carol: VerifiedClaims;
let alice: VerifiedClaims;
let dave: VerifiedClaims;

/** Claims as the auth server issues them: with the id of a session that exists. */
async function withSession(claims: VerifiedClaims): Promise<VerifiedClaims> {
  const session = crypto.randomUUID();
  await ctx.db.sql`insert into auth.sessions (id, user_id, created_at, updated_at, aal)
                   values (${session}, ${claims.sub}, now(), now(), 'aal1')`;
  return { ...claims, session_id: session };
}

beforeAll(async () => {
  const daveId = await createUser(ctx.db.sql, { email: "rt-dave@example.test", username: "rt_dave" });
  [bob, carol, alice, dave] = (await Promise.all(
    [claimsFor(BOB), claimsFor(CAROL), moderatorClaims(ALICE), claimsFor(daveId)].map(withSession),
  )) as [VerifiedClaims, VerifiedClaims, VerifiedClaims, VerifiedClaims];
});

type Extension = "broadcast" | "presence";
interface Access {
  read: Extension[];
  write: Extension[];
}

class Rollback extends Error {}

/** What realtime.broadcast_changes stores: the rows as JSON, null where the operation has none. */
interface BroadcastPayload {
  operation: string;
  record: Record<string, unknown> | null;
  old_record: Record<string, unknown> | null;
}

/**
 * What Supabase Realtime asks the database before a private join and a send or track: probe rows
 * of each extension written by Realtime itself and selected back as the subscriber (read), and an
 * insert as the subscriber (write), with role, claims and realtime.topic() set; all rolled back.
 */
async function access(sql: Sql, claims: VerifiedClaims | null, topic: string): Promise<Access> {
  const result: Access = { read: [], write: [] };
  await sql
    .begin(async (tx) => {
      for (const extension of ["broadcast", "presence"] as const)
        await tx`insert into realtime.messages (topic, extension, event, private) values (${topic}, ${extension}, 'probe', true)`;
      await tx`select set_config('role', ${claims ? "authenticated" : "anon"}, true),
                      set_config('request.jwt.claims', ${JSON.stringify(claims ?? { role: "anon" })}, true),
                      set_config('request.jwt.claim.sub', ${claims?.sub ?? ""}, true),
                      set_config('realtime.topic', ${topic}, true)`;
      const readable = await tx<{ extension: Extension }[]>`
        select distinct extension from realtime.messages where topic = ${topic} and event = 'probe' order by extension`;
      result.read = readable.map((row) => row.extension);
      for (const extension of ["broadcast", "presence"] as const) {
        try {
          await tx.savepoint(
            (sp) => sp`insert into realtime.messages (topic, extension, event, private)
                                         values (${topic}, ${extension}, 'typing', true)`,
          );
          result.write.push(extension);
        } catch (error) {
          if ((error as { code?: string }).code !== "42501") throw error;
        }
      }
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result;
}

const bobAndCarol = conversationTopic(BOB, CAROL);
const none: Access = { read: [], write: [] };
/** A database topic: its audience reads the broadcasts, nobody writes anything. */
const databaseReader: Access = { read: ["broadcast"], write: [] };
/** A signal topic: its members read and write broadcasts (typing) and presence. */
const signalMember: Access = { read: ["broadcast", "presence"], write: ["broadcast", "presence"] };

describe("realtime.messages policies: the feed", () => {
  it("every signed-in user reads the database's feed topic and no client writes anything to it", async () => {
    for (const claims of [bob, carol, alice, dave]) expect(await access(ctx.db.sql, claims, FEED_TOPIC)).toEqual(databaseReader);
  });

  it("every signed-in user shares presence and typing on the feed's signal topic", async () => {
    for (const claims of [bob, carol, alice, dave])
      expect(await access(ctx.db.sql, claims, signalTopicOf(FEED_TOPIC))).toEqual(signalMember);
  });

  it("an anonymous visitor neither joins nor writes", async () => {
    for (const topic of [FEED_TOPIC, signalTopicOf(FEED_TOPIC)]) expect(await access(ctx.db.sql, null, topic)).toEqual(none);
  });

  it("other topics are closed to everyone", async () => {
    for (const topic of ["feed:other", "feed:public:x", "signals:feed:other", "signals:", "messages-feed", `dm:${BOB}`, "user:"])
      expect(await access(ctx.db.sql, bob, topic)).toEqual(none);
  });
});

describe("realtime.messages policies: a conversation", () => {
  it("its two participants read the database's topic, write nothing there, and share signals beside it", async () => {
    for (const claims of [bob, carol]) {
      expect(await access(ctx.db.sql, claims, bobAndCarol)).toEqual(databaseReader);
      expect(await access(ctx.db.sql, claims, signalTopicOf(bobAndCarol))).toEqual(signalMember);
    }
  });

  it("a third user and a moderator are refused everything, like anon", async () => {
    for (const claims of [dave, alice, null])
      for (const topic of [bobAndCarol, signalTopicOf(bobAndCarol)])
        expect(await access(ctx.db.sql, claims, topic)).toEqual(none);
  });

  it("only the canonical spelling (ids in byte order) is a conversation topic", async () => {
    const [first, second] = bobAndCarol.split(":").slice(1);
    for (const topic of [`dm:${second}:${first}`, `dm:${BOB}:${BOB}`, `${bobAndCarol}:x`]) {
      expect(await access(ctx.db.sql, bob, topic)).toEqual(none);
      expect(await access(ctx.db.sql, bob, `signals:${topic}`)).toEqual(none);
    }
  });
});

describe("realtime.messages policies: a user's own topic", () => {
  it("is read by that user only, and written by no client", async () => {
    expect(await access(ctx.db.sql, bob, userTopic(BOB))).toEqual(databaseReader);
    for (const claims of [carol, alice, dave, null]) expect(await access(ctx.db.sql, claims, userTopic(BOB))).toEqual(none);
  });
});

describe("realtime.messages policies: a token whose session is gone", () => {
  it("joins nothing and writes nothing, however valid its signature (ADR 0040)", async () => {
    const erin = await withSession(
      claimsFor(await createUser(ctx.db.sql, { email: "rt-erin@example.test", username: "rt_erin" })),
    );
    expect(await access(ctx.db.sql, erin, FEED_TOPIC)).toEqual(databaseReader);
    await ctx.db.sql`delete from auth.sessions where id = ${erin.session_id ?? ""}`;
    for (const topic of [FEED_TOPIC, signalTopicOf(FEED_TOPIC), userTopic(erin.sub)])
      expect(await access(ctx.db.sql, erin, topic)).toEqual(none);
    // No session id at all (a hand-made token, a garbled claim) is the same as a gone one.
    for (const session_id of [undefined, "", "not-a-uuid", "' or true --"])
      expect(await access(ctx.db.sql, { ...bob, session_id }, FEED_TOPIC)).toEqual(none);
  });
});

describe("realtime.messages policies: a token that has not passed its user's second factor", () => {
  it("joins nothing at aal1 when the user has a verified factor, everything of theirs at aal2", async () => {
    const hana = await createUser(ctx.db.sql, { email: "rt-hana@example.test", username: "rt_hana" });
    const aal1 = await withSession(claimsFor(hana, {}, { aal: "aal1" }));
    expect(await access(ctx.db.sql, aal1, FEED_TOPIC)).toEqual(databaseReader);
    await ctx.db
      .sql`insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
                     values (${crypto.randomUUID()}, ${hana}, 'phone', 'totp', 'verified', now(), now(), 'x')`;
    // A password thief's token straight from the Auth API: the app's code page never sees it.
    for (const topic of [FEED_TOPIC, signalTopicOf(FEED_TOPIC), userTopic(hana)])
      expect(await access(ctx.db.sql, aal1, topic)).toEqual(none);
    const aal2 = { ...aal1, aal: "aal2" };
    expect(await access(ctx.db.sql, aal2, FEED_TOPIC)).toEqual(databaseReader);
    expect(await access(ctx.db.sql, aal2, userTopic(hana))).toEqual(databaseReader);
  });

  it("a session id of another user's session counts for nothing", async () => {
    expect(await access(ctx.db.sql, { ...dave, session_id: bob.session_id }, FEED_TOPIC)).toEqual(none);
  });
});

describe("realtime.messages rows through the rls_client login (a leaked DATABASE_URL)", () => {
  /** As the rls_client login with honest claims: what rows it reads and whether it may insert. */
  async function asRlsClient(claims: VerifiedClaims, channel: string, row: { topic: string; event: string }) {
    return ctx.database.rls(claims, async (tx) => {
      await tx.execute(sql`select set_config('realtime.topic', ${channel}, true)`);
      const visible = await tx.execute<{ topic: string }>(sql`select distinct topic from realtime.messages`);
      let inserted = true;
      try {
        await tx.transaction((sp) =>
          sp.execute(sql`insert into realtime.messages (topic, extension, event, payload, private)
                         values (${row.topic}, 'broadcast', ${row.event}, '{}'::jsonb, true)`),
        );
      } catch (error) {
        if ((error as { cause?: { code?: string } }).cause?.code !== "42501") throw error;
        inserted = false;
      }
      return { topics: [...visible].map((r) => r.topic).sort(), inserted };
    });
  }

  it("cannot write a row under another topic than the channel it names, nor any row on a database topic", async () => {
    const signals = signalTopicOf(bobAndCarol);
    // Its own signal channel set, a row aimed at the feed or the conversation's database topic.
    expect((await asRlsClient(bob, signals, { topic: FEED_TOPIC, event: "message" })).inserted).toBe(false);
    expect((await asRlsClient(bob, signals, { topic: bobAndCarol, event: "message" })).inserted).toBe(false);
    expect((await asRlsClient(bob, FEED_TOPIC, { topic: FEED_TOPIC, event: "message" })).inserted).toBe(false);
    expect((await asRlsClient(bob, userTopic(BOB), { topic: userTopic(BOB), event: "sessions_ended" })).inserted).toBe(false);
    // What the user may do anyway: a hint on their own signal topic.
    expect((await asRlsClient(bob, signals, { topic: signals, event: "typing" })).inserted).toBe(true);
  });

  it("reads only the rows of the topic it names, and only one it belongs to", async () => {
    await ctx.database.rls(carol, (tx) =>
      tx.execute(`insert into public.messages (recipient_id, body) values ('${BOB}', 'rows of the conversation')`),
    );
    await ctx.database.rls(bob, (tx) => tx.execute(`insert into public.messages (body) values ('a row of the feed')`));
    expect((await asRlsClient(bob, bobAndCarol, { topic: "x", event: "x" })).topics).toEqual([bobAndCarol]);
    expect((await asRlsClient(bob, FEED_TOPIC, { topic: "x", event: "x" })).topics).toEqual([FEED_TOPIC]);
    // Dave names Bob and Carol's conversation: nothing.
    expect((await asRlsClient(dave, bobAndCarol, { topic: "x", event: "x" })).topics).toEqual([]);
  });
});

describe("the messages trigger broadcasts every change to the topic of its readers", () => {
  const broadcasts = (id: string) =>
    ctx.db.sql<{ topic: string; event: string; private: boolean; payload: BroadcastPayload }[]>`
      select topic, event, private, payload from realtime.messages
       where extension = 'broadcast' and ${id} in (payload -> 'record' ->> 'id', payload -> 'old_record' ->> 'id')
       order by inserted_at, payload ->> 'operation' desc`;

  it("public messages go to the feed topic: insert, edit, tombstone (by a moderator), hard delete", async () => {
    const id = crypto.randomUUID();
    await ctx.database.rls(bob, (tx) => tx.execute(`insert into public.messages (id, body) values ('${id}', 'hello')`));
    await ctx.database.rls(bob, (tx) => tx.execute(`update public.messages set body = 'edited' where id = '${id}'`));
    await ctx.database.rls(alice, (tx) => tx.execute(`update public.messages set deleted_at = now() where id = '${id}'`));
    await ctx.db.sql`delete from public.messages where id = ${id}`;
    const rows = await broadcasts(id);
    expect(rows.map((row) => [row.topic, row.event, row.private, row.payload.operation])).toEqual([
      [FEED_TOPIC, "message", true, "INSERT"],
      [FEED_TOPIC, "message", true, "UPDATE"],
      [FEED_TOPIC, "message", true, "UPDATE"],
      [FEED_TOPIC, "message", true, "DELETE"],
    ]);
    // Realtime keeps these rows for days, readable by the topic's members: only the current
    // wording stays in them, and an edit or a deletion never sends the old row's text.
    expect(rows[0]?.payload.record).toMatchObject({ id, author_id: BOB, recipient_id: null, body: "", is_announcement: false });
    expect(rows[1]?.payload.record).toMatchObject({ id, body: "" });
    expect(rows[2]?.payload.record).toMatchObject({ id, body: "" });
    expect(rows[2]?.payload.record?.deleted_at).not.toBeNull();
    expect(rows[3]?.payload).toMatchObject({ record: null });
    for (const row of rows.slice(1)) {
      const oldRecord = row.payload.old_record ?? {};
      expect(oldRecord.id).toBe(id);
      expect(Object.entries(oldRecord).filter(([column, value]) => column !== "id" && value !== null)).toEqual([]);
    }
    expect(JSON.stringify(rows)).not.toMatch(/"hello"|"edited"/);
  });

  it("an edit leaves the new wording in its own broadcast only", async () => {
    const id = crypto.randomUUID();
    await ctx.database.rls(bob, (tx) => tx.execute(`insert into public.messages (id, body) values ('${id}', 'first words')`));
    await ctx.database.rls(bob, (tx) => tx.execute(`update public.messages set body = 'second words' where id = '${id}'`));
    const rows = await broadcasts(id);
    expect(rows.map((row) => row.payload.record?.body)).toEqual(["", "second words"]);
  });

  it("a direct message goes to its conversation topic only, whoever of the two sends", async () => {
    const fromCarol = crypto.randomUUID();
    await ctx.database.rls(carol, (tx) =>
      tx.execute(`insert into public.messages (id, recipient_id, body) values ('${fromCarol}', '${BOB}', 'hi bob')`),
    );
    expect((await broadcasts(fromCarol)).map((row) => row.topic)).toEqual([bobAndCarol]);
    await ctx.database.rls(bob, (tx) => tx.execute(`update public.messages set deleted_at = now() where id = '${SEED_DM}'`));
    // The seed's own insert was broadcast too (the trigger exists before the seed runs).
    expect((await broadcasts(SEED_DM)).map((row) => [row.topic, row.payload.operation])).toEqual([
      [bobAndCarol, "INSERT"],
      [bobAndCarol, "UPDATE"],
    ]);
  });
});

describe("a user's own topic hears from the auth tables", () => {
  const onTopic = (topic: string) =>
    ctx.db.sql<{ event: string; private: boolean; payload: Record<string, unknown> }[]>`
      select event, private, payload from realtime.messages where topic = ${topic} and extension = 'broadcast' order by inserted_at`;

  it("deleted sessions are named to their user, one event per deleting statement", async () => {
    const frank = await createUser(ctx.db.sql, { email: "rt-frank@example.test", username: "rt_frank" });
    const [phone, laptop] = [(await withSession(claimsFor(frank))).session_id, (await withSession(claimsFor(frank))).session_id];
    await ctx.db.sql`delete from auth.sessions where user_id = ${frank}`;
    const events = await onTopic(userTopic(frank));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ event: "sessions_ended", private: true });
    expect((events[0]?.payload.session_ids as string[]).sort()).toEqual([phone, laptop].sort());
    // Nobody else heard of it.
    expect(await onTopic(userTopic(BOB))).toEqual([]);
  });

  it("a change of roles is announced to that user; an unchanged write is not", async () => {
    const gina = await createUser(ctx.db.sql, { email: "rt-gina@example.test", username: "rt_gina" });
    await ctx.db.sql`update auth.users set raw_app_meta_data = raw_app_meta_data where id = ${gina}`;
    expect(await onTopic(userTopic(gina))).toEqual([]);
    await ctx.db
      .sql`update auth.users set raw_app_meta_data = raw_app_meta_data || '{"user_role":"moderator"}' where id = ${gina}`;
    expect((await onTopic(userTopic(gina))).map((row) => row.event)).toEqual(["claims_changed"]);
  });
});
