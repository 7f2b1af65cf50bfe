import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, inject, it } from "vitest";

const assetsDir = fileURLToPath(new URL("../../.output/public/_build/assets/", import.meta.url));
let assets: { name: string; text: string }[] = [];

beforeAll(async () => {
  const names = (await readdir(assetsDir)).filter((name) => /\.(js|mjs|css|map)$/.test(name));
  assets = await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(assetsDir, name), "utf8") })));
});

/** Where in the client assets a needle occurs (file names), for a readable failure. */
function foundIn(needle: string | RegExp): string[] {
  return assets
    .filter(({ text }) => (typeof needle === "string" ? text.includes(needle) : needle.test(text)))
    .map(({ name }) => name);
}

describe("client assets (what the browser downloads)", () => {
  it("exist", () => {
    expect(assets.filter(({ name }) => name.endsWith(".js")).length).toBeGreaterThan(3);
  });

  it("hold no secret: not the secret key, not the admin or rls database URLs, not their names", () => {
    for (const needle of [
      inject("secretKey"),
      "sb_secret_",
      "SUPABASE_SECRET_KEY",
      "ADMIN_DATABASE_URL",
      "DATABASE_URL",
      "rls-client-test-password",
      "postgres://",
    ]) {
      expect(foundIn(needle), needle).toEqual([]);
    }
  });

  it("hold no server-only code (src/server, Drizzle, postgres.js, the server Supabase client, GoTrue admin)", () => {
    for (const needle of [
      "set_config(",
      "consume_rate_limit",
      "createServerClient",
      "drizzle-orm",
      "PostgresError",
      "claims_are_stale",
      "auth.admin",
      /src\/server\//,
      "getSupabaseServerClient",
    ]) {
      expect(foundIn(needle), String(needle)).toEqual([]);
    }
  });

  it("keep supabase-js out: only the Realtime client reaches the browser", () => {
    expect(foundIn("GoTrueClient")).toEqual([]);
    expect(foundIn("PostgrestClient")).toEqual([]);
    expect(foundIn(/realtime\/v1/).length).toBeGreaterThan(0);
  });
});
