import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifiedClaims } from "../../../src/server/db/client.ts";
import { countries } from "../../../src/server/db/schema.ts";
import { BOB, claimsFor, moderatorClaims, only, pgFailure, SEED_COUNTRIES, useRlsDatabase } from "./support.ts";

/*
 * Supabase's seed-000 table, derived from first principles. `countries` has RLS enabled, SELECT
 * granted explicitly to authenticated only (no default grants, ADR 0019) and one policy:
 * `for select to authenticated using (app_metadata.user_role = 'moderator')`.
 *
 *   client                                        RLS on        RLS off
 *   admin (superuser / table owner)               all rows      all rows     owners and superusers skip RLS
 *   rls_client outside rls() (no role switched)   denied        denied       NOINHERIT: no privilege of its own
 *   rls() without claims (anon)                   denied        denied       no grant to anon: RLS is never reached
 *   rls() authenticated, not a moderator          0 rows        all rows     the policy's condition is false
 *   rls() authenticated, user_role in user_metadata  0 rows     all rows     user_metadata is user-editable: never authorises
 *   rls() authenticated, moderator                all rows      all rows     the policy's condition is true
 *
 * With RLS off, a table's grants are the only gate, which is why every authenticated user sees
 * everything there.
 */

const ctx = useRlsDatabase();
let rlsClientBare: postgres.Sql;

beforeAll(() => {
  rlsClientBare = postgres(ctx.rlsUrl, { max: 1, onnotice: () => undefined });
});
afterAll(() => rlsClientBare.end());

type Expected = number | "denied";

interface Row {
  client: string;
  rlsOn: Expected;
  rlsOff: Expected;
  count(): Promise<number>;
}

const viaRls = (claims: VerifiedClaims | null) => () =>
  ctx.database.rls(claims, async (tx) => (await tx.select().from(countries)).length);

const matrix: Row[] = [
  {
    client: "admin connection",
    rlsOn: SEED_COUNTRIES,
    rlsOff: SEED_COUNTRIES,
    count: async () => (await ctx.database.admin.select().from(countries)).length,
  },
  {
    client: "rls_client outside rls()",
    rlsOn: "denied",
    rlsOff: "denied",
    count: async () => (await rlsClientBare`select * from public.countries`).length,
  },
  { client: "rls() without claims (anon)", rlsOn: "denied", rlsOff: "denied", count: viaRls(null) },
  { client: "rls() authenticated user", rlsOn: 0, rlsOff: SEED_COUNTRIES, count: viaRls(claimsFor(BOB)) },
  {
    client: "rls() authenticated, user_role only in user_metadata",
    rlsOn: 0,
    rlsOff: SEED_COUNTRIES,
    count: viaRls({ ...claimsFor(BOB), user_metadata: { user_role: "moderator" } }),
  },
  {
    client: "rls() authenticated moderator",
    rlsOn: SEED_COUNTRIES,
    rlsOff: SEED_COUNTRIES,
    count: viaRls(moderatorClaims(BOB)),
  },
];

async function outcome(row: Row): Promise<Expected> {
  try {
    return await row.count();
  } catch (error) {
    const { code } = await pgFailure(Promise.reject(error));
    if (code === "42501") return "denied";
    throw error;
  }
}

describe.each([
  { rls: "on", key: "rlsOn" as const },
  { rls: "off", key: "rlsOff" as const },
])("countries with RLS $rls", ({ rls, key }) => {
  beforeAll(async () => {
    await ctx.db.sql.unsafe(`alter table public.countries ${rls === "on" ? "enable" : "disable"} row level security`);
    return () => ctx.db.sql`alter table public.countries enable row level security`;
  });

  it.each(matrix)("$client sees $" + key, async (row) => {
    expect(await outcome(row)).toBe(row[key]);
  });
});

describe("moderator check compares text with text", () => {
  it("matches the string claim only, not look-alikes", async () => {
    const count = (appMetadata: Record<string, unknown>) =>
      ctx.database.rls(claimsFor(BOB, appMetadata), (tx) =>
        tx.execute<{ n: number }>(sql`select count(*)::int as n from countries`).then((rows) => only(rows).n),
      );
    expect(await count({ user_role: "moderator" })).toBe(SEED_COUNTRIES);
    expect(await count({ user_role: "Moderator" })).toBe(0);
    expect(await count({ user_role: ["moderator"] })).toBe(0);
    expect(await count({ user_role: { role: "moderator" } })).toBe(0);
    expect(await count({})).toBe(0);
  });
});
