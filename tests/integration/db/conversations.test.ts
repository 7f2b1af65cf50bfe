import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { conversationReads } from "../../../src/server/db/schema.ts";
import { conversationSummaries, moveReadMarker, usersByPrefix } from "../../../src/server/conversations/queries.ts";
import { PREVIEW_LENGTH, UNREAD_COUNT_CAP, USER_SEARCH_RESULTS } from "../../../src/lib/domain/conversations.ts";
import { ALICE, BOB, CAROL, claimsFor, createUser, moderatorClaims, pgFailure, useRlsDatabase } from "./support.ts";

const ctx = useRlsDatabase();
const bob = claimsFor(BOB);
const carol = claimsFor(CAROL);
let erin: VerifiedClaims;
let fred: VerifiedClaims;

beforeAll(async () => {
  erin = claimsFor(await createUser(ctx.db.sql, { email: "erin@example.test", username: "erin_dm" }));
  fred = claimsFor(await createUser(ctx.db.sql, { email: "fred@example.test", username: "fred_dm" }));
});

async function direct(from: string, to: string, body: string): Promise<string> {
  const [row] = await ctx.db.sql<{ id: string }[]>`
    insert into public.messages (author_id, recipient_id, body) values (${from}, ${to}, ${body}) returning id`;
  if (!row) throw new Error("no message inserted");
  return row.id;
}

const summaries = (claims: VerifiedClaims) => ctx.database.read(claims, (tx) => conversationSummaries(tx, claims.sub));
const summaryWith = async (claims: VerifiedClaims, partnerId: string) =>
  (await summaries(claims)).find((summary) => summary.partnerId === partnerId);
const markRead = (claims: VerifiedClaims, username: string) =>
  ctx.database.rls(claims, (tx) => moveReadMarker(tx, claims.sub, username));
const markers = (claims: VerifiedClaims | null) => ctx.database.rls(claims, (tx) => tx.select().from(conversationReads));

describe("conversation list", () => {
  it("counts the partner's messages since the last read; own messages and tombstones never count", async () => {
    await direct(fred.sub, erin.sub, "hello erin");
    await direct(fred.sub, erin.sub, "are you there?");
    await direct(erin.sub, fred.sub, "yes");
    expect(await summaryWith(erin, fred.sub)).toMatchObject({ partnerName: "fred_dm", unread: 2, preview: "yes", fromMe: true });
    expect(await summaryWith(fred, erin.sub)).toMatchObject({ partnerName: "erin_dm", unread: 1, fromMe: false });

    expect(await markRead(erin, "fred_dm")).toBe(true);
    expect(await summaryWith(erin, fred.sub)).toMatchObject({ unread: 0 });
    // Fred's own marker is untouched by Erin's.
    expect(await summaryWith(fred, erin.sub)).toMatchObject({ unread: 1 });

    const removed = await direct(fred.sub, erin.sub, "oops");
    await direct(fred.sub, erin.sub, "one more");
    await ctx.db.sql`update public.messages set deleted_at = now(), body = '' where id = ${removed}`;
    expect(await summaryWith(erin, fred.sub)).toMatchObject({ unread: 1, preview: "one more", removed: false });
    await direct(fred.sub, erin.sub, "gone too");
    await ctx.db.sql`update public.messages set deleted_at = now(), body = '' where body = 'gone too'`;
    expect(await summaryWith(erin, fred.sub)).toMatchObject({ unread: 1, preview: "", removed: true });
  });

  it("lists only the user's own conversations, newest first, with a short preview and a capped count", async () => {
    const gina = claimsFor(await createUser(ctx.db.sql, { email: "gina@example.test", username: "gina_dm" }));
    await direct(gina.sub, erin.sub, "x".repeat(PREVIEW_LENGTH * 3));
    await ctx.db.sql`
      insert into public.messages (author_id, recipient_id, body)
      select ${fred.sub}, ${gina.sub}, 'note ' || i from generate_series(1, ${UNREAD_COUNT_CAP + 20}::int) as i`;
    const erinsList = await summaries(erin);
    expect(erinsList[0]).toMatchObject({ partnerName: "gina_dm", unread: 1 });
    expect(erinsList[0]?.preview).toBe("x".repeat(PREVIEW_LENGTH));
    expect(erinsList.map((summary) => summary.partnerName)).not.toContain("bob");
    expect(await summaryWith(gina, fred.sub)).toMatchObject({ unread: UNREAD_COUNT_CAP + 1 });
    // A moderator sees no one else's conversations either (the messages policy, not the filter).
    const alicesList = await summaries(moderatorClaims(ALICE));
    expect(alicesList.map((summary) => summary.partnerId)).not.toContain(fred.sub);
  });
});

describe("read markers: each user's own, and only theirs", () => {
  it("marking moves the marker forward only, and an unknown or own name marks nothing", async () => {
    await markRead(bob, "carol");
    const [first] = await markers(bob);
    await markRead(bob, "carol");
    const [second] = await markers(bob);
    expect(second?.lastReadAt.getTime()).toBeGreaterThanOrEqual(first?.lastReadAt.getTime() ?? Infinity);
    expect(await markRead(bob, "nobody_here")).toBe(false);
    expect(await markRead(bob, "bob")).toBe(false);
    expect((await markers(bob)).map((row) => row.partnerId)).toEqual([CAROL]);
  });

  it("nobody reads, creates or moves another user's marker; anon touches none", async () => {
    await markRead(carol, "bob");
    expect((await markers(bob)).every((row) => row.userId === BOB)).toBe(true);
    expect(await markers(moderatorClaims(ALICE))).toEqual([]);
    const forged = ctx.database.rls(bob, (tx) => tx.insert(conversationReads).values({ userId: CAROL, partnerId: BOB }));
    expect(await pgFailure(forged)).toMatchObject({ code: "42501" });
    const moved = await ctx.database.rls(bob, (tx) =>
      tx
        .update(conversationReads)
        .set({ lastReadAt: new Date("2000-01-01") })
        .where(eq(conversationReads.userId, CAROL))
        .returning(),
    );
    expect(moved).toEqual([]);
    for (const values of [{ userId: CAROL }, { partnerId: ALICE }]) {
      const rewrite = ctx.database.rls(bob, (tx) => tx.update(conversationReads).set(values));
      expect(await pgFailure(rewrite)).toMatchObject({ code: "42501" });
    }
    const remove = ctx.database.rls(bob, (tx) => tx.delete(conversationReads));
    expect(await pgFailure(remove)).toMatchObject({ code: "42501" });
    expect(await pgFailure(markers(null))).toMatchObject({ code: "42501" });
    const [carols] = await ctx.db.sql<{ last_read_at: Date }[]>`
      select last_read_at from public.conversation_reads where user_id = ${CAROL} and partner_id = ${BOB}`;
    expect(carols?.last_read_at.getFullYear()).toBeGreaterThan(2000);
  });
});

describe("username search", () => {
  it("finds names by prefix in name order, without the searcher; '_' is a letter, not a wildcard", async () => {
    for (const name of ["srch_a", "srch_b", "srchxc", "srchyd"]) {
      await createUser(ctx.db.sql, { email: `${name}@example.test`, username: name });
    }
    const names = async (claims: VerifiedClaims, prefix: string) =>
      (await ctx.database.read(claims, (tx) => usersByPrefix(tx, claims.sub, prefix))).map((user) => user.username);
    expect(await names(bob, "srch")).toEqual(["srch_a", "srch_b", "srchxc", "srchyd"]);
    expect(await names(bob, "srch_")).toEqual(["srch_a", "srch_b"]);
    expect(await names(bob, "srchz")).toEqual([]);
    expect(await names(bob, "bo")).not.toContain("bob");
    expect(await names(carol, "bo")).toContain("bob");
  });

  it("returns at most the result limit, from a range scan of the byte-order index", async () => {
    for (let i = 0; i < USER_SEARCH_RESULTS + 3; i++) {
      await createUser(ctx.db.sql, { email: `many${i}@example.test`, username: `many_${String(i).padStart(2, "0")}` });
    }
    const found = await ctx.database.read(bob, (tx) => usersByPrefix(tx, bob.sub, "many_"));
    expect(found).toHaveLength(USER_SEARCH_RESULTS);
    // A table this small may be read whole anyway; with sequential scans off, the plan shows the
    // index can serve the range.
    const plan = await ctx.database.read(bob, async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return tx.execute<{ "QUERY PLAN": string }>(
        sql`explain select id from public.profiles where username ~>=~ 'many_' and username ~<~ 'many_~'`,
      );
    });
    expect(plan.map((row) => row["QUERY PLAN"]).join("\n")).toMatch(/profiles_username_prefix_idx/);
  });
});
