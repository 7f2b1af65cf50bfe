import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../supabase/embedded/config.ts";
import { listMigrations } from "../../supabase/embedded/postgres/migrate.ts";

describe("supabase/config.toml", () => {
  it("gives the embedded backend the CLI's ports and auth rules", () => {
    const config = readConfig();
    expect(config.api.port).toBe(54321);
    expect(config.db.port).toBe(54322);
    expect(config.inbucket.port).toBe(54324);
    expect(config.auth.enable_refresh_token_rotation).toBe(true);
    expect(config.auth.refresh_token_reuse_interval).toBe(10);
    for (const port of [3000, 5173, 4173]) {
      expect(config.auth.additional_redirect_urls).toContain(`http://localhost:${port}/auth/callback**`);
    }
  });

  it("names the bad key of a broken config", async () => {
    const dir = await mkdtemp(join(tmpdir(), "config-"));
    const file = join(dir, "config.toml");
    await writeFile(
      file,
      '[api]\nport = 54321\n[db]\nport = "x"\n[inbucket]\nport = 1\n[auth]\nsite_url = "http://localhost:3000"\n',
    );
    expect(() => readConfig(file)).toThrow(/db\.port/);
  });
});

describe("migration files", () => {
  it("rejects a file the Supabase CLI would not apply", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    await writeFile(join(dir, "20250101000000_ok.sql"), "select 1;");
    await writeFile(join(dir, "create_things.sql"), "select 1;");
    await expect(listMigrations(dir)).rejects.toThrow(/create_things\.sql.*<version>_<name>\.sql/);
  });

  it("orders by file name", async () => {
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    await writeFile(join(dir, "20250102000000_b.sql"), "select 1;");
    await writeFile(join(dir, "20250101000000_a.sql"), "select 1;");
    expect((await listMigrations(dir)).map((m) => m.name)).toEqual(["a", "b"]);
  });
});
