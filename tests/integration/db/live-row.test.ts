import { type Column, getTableColumns, type Table } from "drizzle-orm";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type FeedMessage, feedMessageOf, type MessageRecord } from "../../../src/lib/domain/messages.ts";
import { ISO_MICROS_PATTERN } from "../../../src/lib/domain/timestamps.ts";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { messages } from "../../../src/server/db/schema.ts";
import { changesSince } from "../../../src/server/messages/feed.ts";
import { BOB, CAROL, claimsFor, moderatorClaims, ALICE, useRlsDatabase } from "./support.ts";

/*
 * One message, two roads to the browser: the feed query (server-rendered pages, catch-up) and the
 * trigger's broadcast (the live channel, decoded by feedMessageOf). Both must give the same
 * FeedMessage, and the broadcast row must be the table's row as schema.ts defines it.
 */

/** A table's row as to_jsonb writes it: column names, timestamps as text, null where allowed. */
type JsonRow<T extends Table> = {
  [K in keyof T["_"]["columns"] as T["_"]["columns"][K]["_"]["name"]]: JsonValue<T["_"]["columns"][K]>;
};
type JsonValue<C extends Column> =
  (C["_"]["data"] extends Date ? string : C["_"]["data"]) | (C["_"]["notNull"] extends true ? never : null);

// A column renamed, added or retyped in schema.ts fails `tsc` here until the decoder follows.
expectTypeOf<MessageRecord>().toEqualTypeOf<JsonRow<typeof messages>>();

const ctx = useRlsDatabase();
const bob = claimsFor(BOB);
const alice = moderatorClaims(ALICE);

interface Broadcast {
  operation: string;
  record: MessageRecord | null;
}

/** The latest broadcast of the message, read as it was written (before a later change blanks its body). */
async function lastBroadcast(id: string): Promise<Broadcast> {
  const [row] = await ctx.db.sql<{ payload: Broadcast }[]>`
    select payload from realtime.messages
     where extension = 'broadcast' and payload -> 'record' ->> 'id' = ${id}
     order by inserted_at desc, id desc limit 1`;
  if (!row) throw new Error(`no broadcast of message ${id}`);
  return row.payload;
}

/** The message as the feed query serves it to `claims`. */
async function served(claims: VerifiedClaims, id: string): Promise<FeedMessage> {
  const { messages: rows } = await ctx.database.read(claims, (tx) => changesSince(tx, null, "1970-01-01T00:00:00.000000Z"));
  const message = rows.find((row) => row.id === id);
  if (!message) throw new Error(`message ${id} not served`);
  return message;
}

/** What the live channel makes of the broadcast, given the names the page knows. */
async function decoded(id: string, names: FeedMessage): Promise<FeedMessage> {
  const { record } = await lastBroadcast(id);
  if (!record) throw new Error(`broadcast of ${id} has no row`);
  return feedMessageOf(record, names.authorName, names.recipientName);
}

describe("a broadcast message row", () => {
  it("has exactly the table's columns", async () => {
    const id = crypto.randomUUID();
    await ctx.database.rls(bob, (tx) => tx.execute(`insert into public.messages (id, body) values ('${id}', 'columns')`));
    const { record } = await lastBroadcast(id);
    const columns = Object.values(getTableColumns(messages)).map((column) => column.name);
    expect(Object.keys(record ?? {}).sort()).toEqual(columns.sort());
  });

  it("decodes to the feed query's message: insert, edit, tombstone", async () => {
    const id = crypto.randomUUID();
    await ctx.database.rls(bob, (tx) => tx.execute(`insert into public.messages (id, body) values ('${id}', 'first')`));
    const inserted = await served(bob, id);
    expect(inserted.createdAt).toMatch(ISO_MICROS_PATTERN);
    expect(await decoded(id, inserted)).toEqual(inserted);

    await ctx.database.rls(bob, (tx) => tx.execute(`update public.messages set body = 'second' where id = '${id}'`));
    const edited = await served(bob, id);
    expect(edited.editedAt).toMatch(ISO_MICROS_PATTERN);
    expect(await decoded(id, edited)).toEqual(edited);

    await ctx.database.rls(alice, (tx) => tx.execute(`update public.messages set deleted_at = now() where id = '${id}'`));
    const removed = await served(bob, id);
    expect(removed).toMatchObject({ body: "", deletedAt: expect.stringMatching(ISO_MICROS_PATTERN) });
    expect(await decoded(id, removed)).toEqual(removed);
  });

  it("decodes a direct message written in a session far from UTC", async () => {
    const id = crypto.randomUUID();
    // to_jsonb writes timestamps in the writer's time zone: +05:45 has minutes, and the day differs from UTC's.
    await ctx.db.sql.begin(async (tx) => {
      await tx`set local time zone 'Asia/Kathmandu'`;
      await tx`insert into public.messages (id, author_id, recipient_id, body, created_at)
               values (${id}, ${CAROL}, ${BOB}, 'late', '2026-01-01 23:50:00.000001+00')`;
    });
    const { record } = await lastBroadcast(id);
    expect(record?.created_at).toBe("2026-01-02T05:35:00.000001+05:45");
    const message = await served(bob, id);
    expect(message).toMatchObject({ createdAt: "2026-01-01T23:50:00.000001Z", recipientName: "bob" });
    expect(await decoded(id, message)).toEqual(message);
  });
});
