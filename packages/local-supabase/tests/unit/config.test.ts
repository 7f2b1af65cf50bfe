import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../src/config.ts";
import { fixtureConfig } from "../fixture.ts";
import { listMigrations } from "../../src/postgres/migrate.ts";

describe("supabase/config.toml", () => {
  it("gives the embedded backend the CLI's ports and auth rules", () => {
    const config = fixtureConfig();
    expect(config.api.port).toBe(54321);
    expect(config.db.port).toBe(54322);
    expect(config.inbucket.port).toBe(54324);
    expect(config.auth.enable_refresh_token_rotation).toBe(true);
    expect(config.auth.refresh_token_reuse_interval).toBe(10);
    for (const port of [3000, 5173, 4173]) {
      expect(config.auth.additional_redirect_urls).toContain(`http://localhost:${port}/auth/callback**`);
    }
  });

  it("reads [api] auto_expose_new_tables: off in config.toml, and off when absent, as for a project created today", async () => {
    expect(fixtureConfig().api.auto_expose_new_tables).toBe(false);
    const dir = await mkdtemp(join(tmpdir(), "config-"));
    const base = '[db]\nport = 1\n[inbucket]\nport = 1\n[auth]\nsite_url = "http://localhost:3000"\n';
    await writeFile(join(dir, "absent.toml"), `[api]\nport = 1\n${base}`);
    expect(readConfig(join(dir, "absent.toml")).api.auto_expose_new_tables).toBe(false);
    await writeFile(join(dir, "on.toml"), `[api]\nport = 1\nauto_expose_new_tables = true\n${base}`);
    expect(readConfig(join(dir, "on.toml")).api.auto_expose_new_tables).toBe(true);
  });

  it("reads [auth.mfa]: TOTP on in config.toml, off when absent as in the CLI's template, 10 factors", async () => {
    expect(fixtureConfig().auth.mfa).toEqual({ max_enrolled_factors: 10, totp: { enroll_enabled: true, verify_enabled: true } });
    const dir = await mkdtemp(join(tmpdir(), "config-"));
    const base = '[api]\nport = 1\n[db]\nport = 1\n[inbucket]\nport = 1\n[auth]\nsite_url = "http://localhost:3000"\n';
    await writeFile(join(dir, "absent.toml"), base);
    expect(readConfig(join(dir, "absent.toml")).auth.mfa).toEqual({
      max_enrolled_factors: 10,
      totp: { enroll_enabled: false, verify_enabled: false },
    });
    await writeFile(join(dir, "partial.toml"), `${base}[auth.mfa.totp]\nenroll_enabled = true\n`);
    expect(readConfig(join(dir, "partial.toml")).auth.mfa.totp).toEqual({ enroll_enabled: true, verify_enabled: false });
  });

  it("reads [auth.hook.mfa_verification_attempt]: off when absent; enabled, only with a pg-functions URI", async () => {
    const dir = await mkdtemp(join(tmpdir(), "config-"));
    const base = '[api]\nport = 1\n[db]\nport = 1\n[inbucket]\nport = 1\n[auth]\nsite_url = "http://localhost:3000"\n';
    await writeFile(join(dir, "absent.toml"), base);
    expect(readConfig(join(dir, "absent.toml")).auth.hook.mfa_verification_attempt).toEqual({ enabled: false, uri: "" });
    const uri = "pg-functions://postgres/public/mfa_hook";
    await writeFile(join(dir, "on.toml"), `${base}[auth.hook.mfa_verification_attempt]\nenabled = true\nuri = "${uri}"\n`);
    expect(readConfig(join(dir, "on.toml")).auth.hook.mfa_verification_attempt).toEqual({ enabled: true, uri });
    for (const bad of ["https://example.com/hook", "pg-functions://postgres/public", "pg-functions://postgres/public/bad-name"]) {
      await writeFile(join(dir, "bad.toml"), `${base}[auth.hook.mfa_verification_attempt]\nenabled = true\nuri = "${bad}"\n`);
      expect(() => readConfig(join(dir, "bad.toml")), bad).toThrow(/auth\.hook\.mfa_verification_attempt: an enabled hook needs/);
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
