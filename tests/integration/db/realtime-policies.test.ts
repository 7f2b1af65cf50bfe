import type { Sql } from "postgres";
import { beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { conversationTopic, FEED_TOPIC } from "../../../src/lib/domain/realtime-topics.ts";
import { ALICE, BOB, CAROL, claimsFor, createUser, moderatorClaims, SEED_DM, useRlsDatabase } from "./support.ts";

const ctx = useRlsDatabase();
const bob = claimsFor(BOB);
const carol = claimsFor(CAROL);
const alice = moderatorClaims(ALICE);
let dave: VerifiedClaims;

beforeAll(async () => {
  dave = claimsFor(await createUser(ctx.db.sql, { email: "rt-dave@example.test", username: "rt_dave" }));
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

describe("realtime.messages policies: the public feed topic", () => {
  it("every signed-in user joins it and shares presence there; nobody broadcasts to it from a client", async () => {
    for (const claims of [bob, carol, alice, dave])
      expect(await access(ctx.db.sql, claims, FEED_TOPIC)).toEqual({ read: ["broadcast", "presence"], write: ["presence"] });
  });

  it("an anonymous visitor neither joins nor tracks", async () => {
    expect(await access(ctx.db.sql, null, FEED_TOPIC)).toEqual({ read: [], write: [] });
  });

  it("other topics are closed to everyone", async () => {
    for (const topic of ["feed:other", "feed:public:x", "messages-feed", `dm:${BOB}`])
      expect(await access(ctx.db.sql, bob, topic)).toEqual({ read: [], write: [] });
  });
});

describe("realtime.messages policies: a conversation topic", () => {
  it("its two participants join it, send typing and share presence", async () => {
    for (const claims of [bob, carol])
      expect(await access(ctx.db.sql, claims, bobAndCarol)).toEqual({
        read: ["broadcast", "presence"],
        write: ["broadcast", "presence"],
      });
  });

  it("a third user and a moderator are refused everything, like anon", async () => {
    for (const claims of [dave, alice, null])
      expect(await access(ctx.db.sql, claims, bobAndCarol)).toEqual({ read: [], write: [] });
  });

  it("only the canonical spelling (ids in byte order) is a conversation topic", async () => {
    const [first, second] = bobAndCarol.split(":").slice(1);
    expect(await access(ctx.db.sql, bob, `dm:${second}:${first}`)).toEqual({ read: [], write: [] });
    expect(await access(ctx.db.sql, bob, `dm:${BOB}:${BOB}`)).toEqual({ read: [], write: [] });
    expect(await access(ctx.db.sql, bob, `${bobAndCarol}:x`)).toEqual({ read: [], write: [] });
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
    expect(rows[0]?.payload.record).toMatchObject({
      id,
      author_id: BOB,
      recipient_id: null,
      body: "hello",
      is_announcement: false,
    });
    expect(rows[2]?.payload.record).toMatchObject({ id, body: "" });
    expect(rows[2]?.payload.record?.deleted_at).not.toBeNull();
    expect(rows[3]?.payload).toMatchObject({ record: null, old_record: { id } });
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
