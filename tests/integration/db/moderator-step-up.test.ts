import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { countries, messages } from "../../../src/server/db/schema.ts";
import { BOB, claimsFor, createUser, only, SEED_COUNTRIES, useRlsDatabase } from "./support.ts";

/*
 * Moderator power in the policies themselves (ADR 0034): a moderator with a verified factor
 * moderates only from an aal2 session, so a stolen aal1 session of theirs deletes nothing, even
 * with SQL of its own choosing through the rls client; a moderator without a factor moderates at
 * aal1 unless public.moderation_settings requires a factor of every moderator.
 */

const ctx = useRlsDatabase();

const moderator = (sub: string, aal: "aal1" | "aal2") => claimsFor(sub, { user_role: "moderator" }, { aal });
let withFactor: string;
let withoutFactor: string;
let unverifiedOnly: string;

async function addFactor(userId: string, status: "verified" | "unverified") {
  await ctx.db.sql`
    insert into auth.mfa_factors (id, user_id, friendly_name, factor_type, status, created_at, updated_at, secret)
    values (${randomUUID()}, ${userId}, ${`app ${status}`}, 'totp', ${status}, now(), now(), 'JBSWY3DPEHPK3PXP')`;
}

beforeAll(async () => {
  withFactor = await createUser(ctx.db.sql, { email: "mod-factor@example.test", username: "mod_factor" });
  withoutFactor = await createUser(ctx.db.sql, { email: "mod-plain@example.test", username: "mod_plain" });
  unverifiedOnly = await createUser(ctx.db.sql, { email: "mod-unverified@example.test", username: "mod_unverified" });
  await addFactor(withFactor, "verified");
  await addFactor(unverifiedOnly, "unverified");
});

async function bobsMessage(): Promise<string> {
  const id = randomUUID();
  await ctx.database.rls(claimsFor(BOB), (tx) => tx.insert(messages).values({ id, body: "bob says hi" }));
  return id;
}

const deletedAt = async (id: string) =>
  only(
    await ctx.db.sql<{ deleted_at: Date | null }[]>`
  select deleted_at from messages where id = ${id}`,
  ).deleted_at;

/** A moderator's delete as the app does it (Drizzle, tombstone update). */
const deleteAs = (claims: VerifiedClaims, id: string) =>
  ctx.database.rls(claims, (tx) => tx.update(messages).set({ deletedAt: new Date() }).where(eq(messages.id, id)).returning());

/** The same with hand-written SQL, as someone holding the session and the rls client would try. */
const deleteBySqlAs = (claims: VerifiedClaims, id: string) =>
  ctx.database.rls(claims, (tx) =>
    tx.execute(sql`update public.messages set body = '', deleted_at = now() where id = ${id} returning id`),
  );

const countriesSeenBy = (claims: VerifiedClaims) =>
  ctx.database.rls(claims, async (tx) => (await tx.select({ id: countries.id }).from(countries)).length);

async function requireFactorForEveryModerator(required: boolean) {
  await ctx.db.sql`update public.moderation_settings set moderators_require_factor = ${required} where singleton`;
}

describe("moderator step-up in the policies", () => {
  it("a moderator with a verified factor deletes nothing from an aal1 session, by Drizzle or by SQL", async () => {
    const id = await bobsMessage();
    expect(await deleteAs(moderator(withFactor, "aal1"), id)).toEqual([]);
    expect([...(await deleteBySqlAs(moderator(withFactor, "aal1"), id))]).toEqual([]);
    // A token without any aal claim counts as aal1.
    expect(await deleteAs(claimsFor(withFactor, { user_role: "moderator" }), id)).toEqual([]);
    expect(await deletedAt(id)).toBeNull();
    expect(await countriesSeenBy(moderator(withFactor, "aal1"))).toBe(0);
  });

  it("the same moderator deletes from an aal2 session", async () => {
    const id = await bobsMessage();
    expect(await deleteAs(moderator(withFactor, "aal2"), id)).toHaveLength(1);
    expect(await deletedAt(id)).not.toBeNull();
    expect(await countriesSeenBy(moderator(withFactor, "aal2"))).toBe(SEED_COUNTRIES);
  });

  it("a moderator without a verified factor (none, or only an unverified one) deletes at aal1", async () => {
    for (const sub of [withoutFactor, unverifiedOnly]) {
      const id = await bobsMessage();
      expect(await deleteAs(moderator(sub, "aal1"), id)).toHaveLength(1);
      expect(await deletedAt(id)).not.toBeNull();
    }
  });

  it("an aal2 session gives no moderator power without the role", async () => {
    const id = await bobsMessage();
    expect(await deleteAs(claimsFor(withFactor, {}, { aal: "aal2" }), id)).toEqual([]);
    expect(await deletedAt(id)).toBeNull();
  });

  it("announcements need the same step-up", async () => {
    const announce = (claims: VerifiedClaims) =>
      ctx.database.rls(claims, (tx) =>
        tx.insert(messages).values({ id: randomUUID(), body: "announcement", isAnnouncement: true }).returning(),
      );
    await expect(announce(moderator(withFactor, "aal1"))).rejects.toThrow();
    expect(await announce(moderator(withFactor, "aal2"))).toHaveLength(1);
  });

  it("with a factor required of every moderator, one without a factor deletes nothing until enrolled", async () => {
    await requireFactorForEveryModerator(true);
    try {
      const id = await bobsMessage();
      expect(await deleteAs(moderator(withoutFactor, "aal1"), id)).toEqual([]);
      expect(await countriesSeenBy(moderator(withoutFactor, "aal1"))).toBe(0);
      expect(await deleteAs(moderator(withFactor, "aal2"), id)).toHaveLength(1);
    } finally {
      await requireFactorForEveryModerator(false);
    }
  });

  it("the check is one sub-select per statement, not a call per row", async () => {
    const plan = await ctx.database.rls(moderator(withoutFactor, "aal1"), (tx) =>
      tx.execute(sql`explain (costs off) update public.messages set deleted_at = now() where recipient_id is null`),
    );
    const text = [...plan].map((row) => Object.values(row).join("")).join("\n");
    // Sub-selects Postgres runs once are InitPlans; a per-row one would be a SubPlan.
    expect(text).toMatch(/\(\(InitPlan \d+\)\.col1 = 'aal2'::text\) OR \(InitPlan \d+\)\.col1\)/);
    expect(text).not.toMatch(/SubPlan/);
  });
});
