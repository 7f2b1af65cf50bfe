import { eq, inArray, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { messages, profiles } from "../../../src/server/db/schema.ts";
import {
  ALICE,
  BOB,
  CAROL,
  claimsFor,
  createUser,
  moderatorClaims,
  only,
  pgFailure,
  SEED_ANNOUNCEMENT,
  SEED_DM,
  useRlsDatabase,
} from "./support.ts";

const ctx = useRlsDatabase();
const bob = claimsFor(BOB);
const carol = claimsFor(CAROL);
const alice = moderatorClaims(ALICE);
let dave: VerifiedClaims;

beforeAll(async () => {
  dave = claimsFor(await createUser(ctx.db.sql, { email: "dave@example.test", username: "dave" }));
});

const visibleIds = (claims: VerifiedClaims | null) =>
  ctx.database.rls(claims, async (tx) => (await tx.select({ id: messages.id }).from(messages)).map((row) => row.id));

const send = (claims: VerifiedClaims, values: Partial<typeof messages.$inferInsert>) =>
  ctx.database.rls(claims, async (tx) =>
    only(
      await tx
        .insert(messages)
        .values({ id: crypto.randomUUID(), body: "hello", ...values })
        .returning(),
    ),
  );

const update = (claims: VerifiedClaims, id: string, values: Partial<typeof messages.$inferInsert>) =>
  ctx.database.rls(claims, (tx) => tx.update(messages).set(values).where(eq(messages.id, id)).returning());

describe("profiles", () => {
  it("are readable by signed-in users only", async () => {
    const read = (claims: VerifiedClaims | null) =>
      ctx.database.rls(claims, (tx) =>
        tx
          .select()
          .from(profiles)
          .where(inArray(profiles.id, [ALICE, BOB, CAROL])),
      );
    expect(await read(bob)).toHaveLength(3);
    // anon holds no grant on any table (ADR 0019): refused before RLS is consulted.
    expect(await pgFailure(read(null))).toMatchObject({ code: "42501" });
  });

  it("can be updated by their owner only, and only the username", async () => {
    const rename = (claims: VerifiedClaims, id: string, username: string) =>
      ctx.database.rls(claims, (tx) => tx.update(profiles).set({ username }).where(eq(profiles.id, id)).returning());
    const [renamed] = await rename(dave, dave.sub, "dave_renamed");
    expect(renamed).toMatchObject({ username: "dave_renamed", usernameSet: true });
    expect(await rename(dave, BOB, "hijacked")).toEqual([]);
    expect(await rename(alice, BOB, "hijacked")).toEqual([]);
    expect(await pgFailure(rename(dave, dave.sub, "No Spaces!"))).toMatchObject({ code: "23514" });
    expect(await pgFailure(rename(dave, dave.sub, "bob"))).toMatchObject({ code: "23505" });
    const other = ctx.database.rls(dave, (tx) =>
      tx.update(profiles).set({ usernameSet: false }).where(eq(profiles.id, dave.sub)),
    );
    expect(await pgFailure(other)).toMatchObject({ code: "42501" });
    const insert = ctx.database.rls(dave, (tx) => tx.insert(profiles).values({ id: crypto.randomUUID(), username: "ghost" }));
    expect(await pgFailure(insert)).toMatchObject({ code: "42501" });
    const remove = ctx.database.rls(dave, (tx) => tx.delete(profiles).where(eq(profiles.id, dave.sub)));
    expect(await pgFailure(remove)).toMatchObject({ code: "42501" });
  });
});

describe("messages: reading", () => {
  it("public messages are readable by every signed-in user and by no anonymous one", async () => {
    for (const claims of [bob, carol, alice, dave]) expect(await visibleIds(claims)).toContain(SEED_ANNOUNCEMENT);
    expect(await pgFailure(visibleIds(null))).toMatchObject({ code: "42501" });
  });

  it("a direct message is readable by its sender and recipient only, not by moderators", async () => {
    expect(await visibleIds(bob)).toContain(SEED_DM);
    expect(await visibleIds(carol)).toContain(SEED_DM);
    expect(await visibleIds(dave)).not.toContain(SEED_DM);
    expect(await visibleIds(alice)).not.toContain(SEED_DM);
  });

  it("deleted messages stay readable as tombstones with an empty body", async () => {
    const rows = await ctx.database.rls(dave, (tx) =>
      tx
        .select()
        .from(messages)
        .where(sql`${messages.deletedAt} is not null`),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row.body).toBe("");
  });
});

describe("messages: sending", () => {
  it("stores a client-generated id, the sender as author and the server's time", async () => {
    const id = crypto.randomUUID();
    const row = await send(bob, { id, createdAt: new Date("2000-01-01"), deletedAt: new Date() });
    expect(row).toMatchObject({ id, authorId: BOB, deletedAt: null, editedAt: null, isAnnouncement: false });
    expect(Math.abs(new Date(row.createdAt).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("refuses to send as someone else", async () => {
    expect(await pgFailure(send(bob, { authorId: CAROL }))).toMatchObject({ code: "42501" });
  });

  it("only moderators can send announcements", async () => {
    const refused = await pgFailure(send(bob, { isAnnouncement: true }));
    expect(refused.code).toBe("42501");
    expect(refused.message).toMatch(/row-level security/);
    expect(await send(alice, { isAnnouncement: true })).toMatchObject({ isAnnouncement: true, authorId: ALICE });
    expect(await pgFailure(send(alice, { isAnnouncement: true, recipientId: BOB }))).toMatchObject({
      code: "23514",
    });
  });

  it("limits the body to 1..2000 characters", async () => {
    expect(await send(bob, { body: "x".repeat(2000) })).toBeTruthy();
    expect(await pgFailure(send(bob, { body: "x".repeat(2001) }))).toMatchObject({ code: "23514" });
    expect(await pgFailure(send(bob, { body: "   " }))).toMatchObject({ code: "23514" });
  });

  it("anon cannot send", async () => {
    const insert = ctx.database.rls(null, (tx) =>
      tx.insert(messages).values({ id: crypto.randomUUID(), authorId: BOB, body: "anon" }),
    );
    expect(await pgFailure(insert)).toMatchObject({ code: "42501" });
  });
});

describe("messages: editing and deleting", () => {
  it("authors edit their own messages; edited_at is set by the server", async () => {
    const { id } = await send(bob, { body: "first" });
    const edited = only(await update(bob, id, { body: "second" }));
    expect(edited).toMatchObject({ body: "second" });
    expect(edited.editedAt).not.toBeNull();
  });

  it("others' messages are not updatable (0 rows), moderators included for text", async () => {
    const { id } = await send(carol, { body: "carol's" });
    expect(await update(bob, id, { body: "changed by bob" })).toEqual([]);
    expect(await pgFailure(update(alice, id, { body: "changed by a moderator" }))).toMatchObject({ code: "42501" });
  });

  it("a user cannot move, re-attribute, re-date or promote a message", async () => {
    const { id } = await send(bob, {});
    for (const values of [
      { authorId: CAROL },
      { recipientId: CAROL },
      { isAnnouncement: true },
      { createdAt: new Date("2000-01-01") },
    ]) {
      expect(await pgFailure(update(bob, id, values))).toMatchObject({ code: "42501" });
    }
    const hardDelete = ctx.database.rls(bob, (tx) => tx.delete(messages).where(eq(messages.id, id)));
    expect(await pgFailure(hardDelete)).toMatchObject({ code: "42501" });
  });

  it("deleting leaves a final tombstone that every reader still receives", async () => {
    const { id } = await send(bob, { body: "regrettable" });
    const tombstone = only(await update(bob, id, { deletedAt: new Date() }));
    expect(tombstone).toMatchObject({ body: "", id });
    expect(tombstone.deletedAt).not.toBeNull();
    const seenByCarol = await ctx.database.rls(carol, (tx) => tx.select().from(messages).where(eq(messages.id, id)));
    expect(seenByCarol).toMatchObject([{ id, body: "" }]);
    expect(await pgFailure(update(bob, id, { deletedAt: null }))).toMatchObject({ code: "55000" });
    expect(await pgFailure(update(bob, id, { body: "back" }))).toMatchObject({ code: "55000" });
  });

  it("moderators delete others' public messages, but not direct messages they cannot see", async () => {
    const { id } = await send(carol, { body: "off-topic" });
    const [tombstone] = await update(alice, id, { deletedAt: new Date() });
    expect(tombstone).toMatchObject({ id, body: "", authorId: CAROL });
    // UPDATE only reaches rows the SELECT policy shows: a third party's DM is not there at all.
    expect(await update(alice, SEED_DM, { deletedAt: new Date() })).toEqual([]);
    expect(await update(dave, SEED_DM, { deletedAt: new Date() })).toEqual([]);
    const dm = only(await ctx.db.sql`select deleted_at from messages where id = ${SEED_DM}`);
    expect(dm.deleted_at).toBeNull();
  });

  it("UPDATE needs the new row to pass the SELECT policy: hiding tombstones would break deletion", async () => {
    // Demonstrates why the SELECT policy keeps deleted rows: with a policy that hides them, the
    // soft delete itself is refused (and Realtime would never deliver it).
    const { id } = await send(bob, { body: "to delete" });
    await ctx.db.sql`create policy "hide tombstones" on messages as restrictive for select to authenticated
                     using (deleted_at is null)`;
    try {
      const refused = await pgFailure(update(bob, id, { deletedAt: new Date() }));
      expect(refused.message).toMatch(/row-level security/);
    } finally {
      await ctx.db.sql`drop policy "hide tombstones" on messages`;
    }
    expect(await update(bob, id, { deletedAt: new Date() })).toHaveLength(1);
  });
});

describe("messages: no Postgres Changes", () => {
  // Deletes skip RLS in Postgres Changes: in the publication, every signed-in subscriber would
  // get the keys of deleted direct messages. The feed uses Broadcast from the database instead.
  it("is not in the supabase_realtime publication (no Postgres Changes for messages)", async () => {
    const published = await ctx.db.sql`select 1 from pg_publication_tables
      where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'`;
    expect(published).toHaveLength(0);
  });
});

describe("indexes behind policies", () => {
  it("every column a policy filters on is indexed", async () => {
    const indexed = await ctx.db.sql<{ table: string; column: string }[]>`
      select c.relname as table, a.attname as column
        from pg_index i
        join pg_class c on c.oid = i.indrelid
        join pg_attribute a on a.attrelid = c.oid and a.attnum = i.indkey[0]
       where c.relnamespace = 'public'::regnamespace`;
    const has = (table: string, column: string) => indexed.some((row) => row.table === table && row.column === column);
    for (const [table, column] of [
      ["profiles", "id"],
      ["messages", "author_id"],
      ["messages", "recipient_id"],
      ["messages", "created_at"],
    ] as const) {
      expect(has(table, column), `${table}.${column}`).toBe(true);
    }
  });
});
