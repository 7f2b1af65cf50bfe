import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { readConfig } from "../../src/config.ts";
import { prepareDatabase } from "../../src/postgres/migrate.ts";
import { databaseUrl, type PostgresServiceOptions, resetPostgres, stopPostgres } from "../../src/postgres/service.ts";
import { createTestDatabase } from "../../src/testing-vitest.ts";
import { freePort } from "../../src/free-port.ts";
import { fixturePaths } from "../fixture.ts";

const paths = fixturePaths;

/** Everything a migration can create, grants included, as text, to compare two databases. */
async function fingerprint(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const rows = await sql`
      select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type as item
        from information_schema.columns where table_schema in ('public', 'auth')
      union all select 'policy ' || schemaname || '.' || tablename || '.' || policyname || ' ' || coalesce(qual, '')
        from pg_policies
      union all select 'function ' || n.nspname || '.' || p.proname || ' ' || md5(p.prosrc)
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in ('public', 'auth')
      union all select 'trigger ' || tgname from pg_trigger where not tgisinternal
      union all select 'migration ' || version from supabase_migrations.schema_migrations
      union all select 'acl ' || c.relname || ' ' || coalesce(c.relacl::text, '-')
        from pg_class c where c.relnamespace = 'public'::regnamespace
      union all select 'column acl ' || c.relname || '.' || a.attname || ' ' || a.attacl::text
        from pg_attribute a join pg_class c on c.oid = a.attrelid
       where c.relnamespace = 'public'::regnamespace and a.attacl is not null
      union all select 'function acl ' || p.proname || ' ' || coalesce(p.proacl::text, '-')
        from pg_proc p where p.pronamespace = 'public'::regnamespace
      union all select 'default acl ' || d.defaclobjtype::text || ' ' || d.defaclacl::text
        from pg_default_acl d where d.defaclnamespace = 'public'::regnamespace
      order by 1`;
    return rows.map((row) => row.item).join("\n");
  } finally {
    await sql.end();
  }
}

async function emptyDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = postgres(inject("postgresUrl"), { max: 1, onnotice: () => undefined });
  const name = `fresh_${Math.random().toString(36).slice(2, 10)}`;
  await server.unsafe(`create database ${name}`);
  return {
    url: databaseUrl(inject("postgresUrl"), name),
    async drop() {
      await server.unsafe(`drop database ${name} with (force)`);
      await server.end();
    },
  };
}

describe("applying bootstrap, migrations and seed", () => {
  it("is idempotent: a second run applies nothing and changes nothing", async () => {
    const db = await createTestDatabase();
    try {
      const before = await fingerprint(db.url);
      const again = await prepareDatabase(db.url, { migrationsDir: paths.migrationsDir });
      expect(again).toEqual({ bootstrapped: false, migrations: [], seeded: false });
      expect(await fingerprint(db.url)).toBe(before);
    } finally {
      await db.drop();
    }
  });

  it("builds the same schema from scratch as the template has", async () => {
    const fresh = await emptyDatabase();
    const template = await createTestDatabase();
    try {
      const result = await prepareDatabase(fresh.url, { migrationsDir: paths.migrationsDir, seedFile: paths.seedFile });
      expect(result.bootstrapped).toBe(true);
      expect(await fingerprint(fresh.url)).toBe(await fingerprint(template.url));
    } finally {
      await fresh.drop();
      await template.drop();
    }
  });

  it("re-applies a changed bootstrap on top of an existing database without errors", async () => {
    const db = await createTestDatabase();
    try {
      const sql = postgres(db.url, { max: 1, onnotice: () => undefined });
      await sql`update supabase_migrations.embedded_bootstrap set hash = 'outdated'`;
      await sql.end();
      const before = await fingerprint(db.url);
      const result = await prepareDatabase(db.url, { migrationsDir: paths.migrationsDir });
      expect(result.bootstrapped).toBe(true);
      expect(await fingerprint(db.url)).toBe(before);
    } finally {
      await db.drop();
    }
  });

  it("honours [api] auto_expose_new_tables: true restores the old automatic grants, the migrations' tables keep their explicit ones", async () => {
    const exposed = await emptyDatabase();
    const template = await createTestDatabase();
    try {
      await prepareDatabase(exposed.url, { migrationsDir: paths.migrationsDir, autoExposeNewTables: true });
      const sql = postgres(exposed.url, { max: 1, onnotice: () => undefined });
      try {
        await sql`create table public.probe (id int)`;
        const [probe] = await sql`select has_table_privilege('authenticated', 'public.probe', 'SELECT') as authenticated,
                                         has_table_privilege('anon', 'public.probe', 'DELETE') as anon`;
        expect(probe).toEqual({ authenticated: true, anon: true });
      } finally {
        await sql.end();
      }
      const appGrants = (fingerprint: string) =>
        fingerprint.split("\n").filter((line) => /^(column |function )?acl /.test(line) && !line.includes(" probe "));
      expect(appGrants(await fingerprint(exposed.url))).toEqual(appGrants(await fingerprint(template.url)));

      // Switching the setting back applies to tables created afterwards.
      await prepareDatabase(exposed.url, { migrationsDir: paths.migrationsDir });
      const again = postgres(exposed.url, { max: 1, onnotice: () => undefined });
      try {
        await again`create table public.probe_after (id int)`;
        const [row] = await again`select has_table_privilege('authenticated', 'public.probe_after', 'SELECT') as select`;
        expect(row).toEqual({ select: false });
      } finally {
        await again.end();
      }
    } finally {
      await exposed.drop();
      await template.drop();
    }
  });

  it("applies a new migration once, records it, and rolls back a failing one whole", async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), "migrations-"));
    try {
      await writeFile(join(dir, "29990101000000_probe.sql"), "create table public.probe (id int);");
      const first = await prepareDatabase(db.url, { migrationsDir: dir });
      expect(first.migrations).toEqual(["29990101000000_probe"]);
      expect((await prepareDatabase(db.url, { migrationsDir: dir })).migrations).toEqual([]);

      await writeFile(
        join(dir, "29990102000000_broken.sql"),
        "create table public.half_done (id int);\nselect * from no_such_table;",
      );
      await expect(prepareDatabase(db.url, { migrationsDir: dir })).rejects.toThrow(
        /29990102000000_broken\.sql failed: .*no_such_table/,
      );
      const [row] = await db.sql`select to_regclass('public.half_done') as half,
        (select count(*)::int from supabase_migrations.schema_migrations where version = '29990102000000') as recorded`;
      expect(row).toEqual({ half: null, recorded: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    }
  });
});

describe("npm run db:reset", () => {
  const root = mkdtemp(join(tmpdir(), "sss-reset-")).then(async (dir) => {
    await chmod(dir, 0o755);
    return dir;
  });
  let options: PostgresServiceOptions | undefined;

  afterAll(async () => {
    if (options) await stopPostgres(options);
    await rm(await root, { recursive: true, force: true });
  });

  it("wipes the cluster and rebuilds it from bootstrap, migrations and seed", async () => {
    options = { paths, config: readConfig(paths.configToml), pgdata: join(await root, "pgdata"), port: await freePort() };
    const first = await resetPostgres(options);
    expect(first.prepared.bootstrapped).toBe(true);
    expect(first.prepared.seeded).toBe((await readFile(paths.seedFile, "utf8").catch(() => null)) !== null);
    const built = await fingerprint(first.url);
    const sql = postgres(first.url, { max: 1, onnotice: () => undefined });
    await sql`create table public.left_over (id int)`;
    await sql.end();

    const second = await resetPostgres(options);
    expect(second.startedHere).toBe(true);
    const check = postgres(second.url, { max: 1, onnotice: () => undefined });
    const [row] = await check`select to_regclass('public.left_over') as left_over`;
    await check.end();
    expect(row?.left_over).toBeNull();
    expect(await fingerprint(second.url)).toBe(built);
  });
});
