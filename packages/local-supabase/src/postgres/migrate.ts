import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres, { type Sql } from "postgres";

// Outside src/ so that src/postgres/ and its build, dist/postgres/, find it at the same place.
const bootstrapFile = new URL("../../sql/bootstrap.sql", import.meta.url);

/** Migration files as the Supabase CLI names them: `<version>_<name>.sql`, applied in file order. */
const migrationName = /^(\d+)_(.+)\.sql$/;

export interface MigrationFile {
  version: string;
  name: string;
  path: string;
}

export async function listMigrations(dir: string): Promise<MigrationFile[]> {
  if (!existsSync(dir)) return [];
  const files = (await readdir(dir)).filter((file) => file.endsWith(".sql")).sort();
  return files.map((file) => {
    const match = migrationName.exec(file);
    if (!match) {
      throw new Error(
        `supabase/migrations/${file}: migration files must be named <version>_<name>.sql (e.g. 20250101000000_create_profiles.sql)`,
      );
    }
    return { version: match[1] as string, name: match[2] as string, path: join(dir, file) };
  });
}

async function bootstrap(sql: Sql): Promise<boolean> {
  const text = await readFile(bootstrapFile, "utf8");
  const hash = createHash("sha256").update(text).digest("hex");
  const [marker] = await sql<{ exists: boolean }[]>`
    select to_regclass('supabase_migrations.embedded_bootstrap') is not null as exists`;
  const [state] = marker?.exists ? await sql<{ hash: string }[]>`select hash from supabase_migrations.embedded_bootstrap` : [];
  if (state?.hash === hash) return false;
  await sql.begin(async (tx) => {
    await tx.unsafe(text);
    await tx.unsafe(`
      create table if not exists supabase_migrations.embedded_bootstrap (
        hash text not null, applied_at timestamptz not null default now());
      delete from supabase_migrations.embedded_bootstrap;`);
    await tx`insert into supabase_migrations.embedded_bootstrap (hash) values (${hash})`;
  });
  return true;
}

/**
 * Default privileges on `public` as `[api] auto_expose_new_tables` in config.toml asks, the way
 * `supabase start` applies that setting: Supabase's image grants ALL on every new public table,
 * sequence and function to anon, authenticated and service_role; projects created since
 * 30 May 2026 (and every project since 30 October 2026) run the revoke below at creation, so new
 * tables are reachable only through explicit grants. The revoke leaves TRUNCATE, REFERENCES,
 * TRIGGER and MAINTAIN in place, as it does on hosted projects. Both directions are applied on
 * every start, so changing the setting takes effect for tables created afterwards.
 */
const DEFAULT_PRIVILEGES = `
alter default privileges for role postgres in schema public
  grant all on tables to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on sequences to anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  grant all on functions to anon, authenticated, service_role;`;

const REVOKE_AUTO_EXPOSURE = `
alter default privileges for role postgres in schema public
  revoke select, insert, update, delete on tables from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke usage, select on sequences from anon, authenticated, service_role;
alter default privileges for role postgres in schema public
  revoke execute on functions from anon, authenticated, service_role;`;

async function applyDefaultPrivileges(sql: Sql, autoExposeNewTables: boolean): Promise<void> {
  await sql.begin((tx) => tx.unsafe(autoExposeNewTables ? DEFAULT_PRIVILEGES : DEFAULT_PRIVILEGES + REVOKE_AUTO_EXPOSURE));
}

async function migrate(sql: Sql, dir: string): Promise<string[]> {
  const applied = new Set(
    (await sql<{ version: string }[]>`select version from supabase_migrations.schema_migrations`).map((row) => row.version),
  );
  const done: string[] = [];
  for (const migration of await listMigrations(dir)) {
    if (applied.has(migration.version)) continue;
    const text = await readFile(migration.path, "utf8");
    try {
      await sql.begin(async (tx) => {
        await tx.unsafe(text);
        await tx`insert into supabase_migrations.schema_migrations (version, name, statements)
                 values (${migration.version}, ${migration.name}, ${[text]})`;
      });
    } catch (error) {
      throw new Error(`migration ${migration.version}_${migration.name}.sql failed: ${(error as Error).message}`);
    }
    done.push(`${migration.version}_${migration.name}`);
  }
  return done;
}

export interface PrepareOptions {
  migrationsDir: string;
  /** Applied only when given, i.e. on a database that was just created. */
  seedFile?: string;
  /**
   * `[api] auto_expose_new_tables` of config.toml: true gives new public tables the old automatic
   * grants to anon, authenticated and service_role; false (the default, as on projects created
   * today) leaves them to each migration's explicit grants.
   */
  autoExposeNewTables?: boolean;
}

export interface PrepareResult {
  bootstrapped: boolean;
  migrations: string[];
  seeded: boolean;
}

/**
 * Brings a database to the state `supabase start` / `supabase db reset` would: the image's
 * bootstrap, then every migration not yet recorded, then (optionally) the seed. A session
 * advisory lock keeps two processes (a dev server and a test run, say) from migrating the same
 * database at once, so the work runs on one dedicated connection.
 */
export async function prepareDatabase(url: string, options: PrepareOptions): Promise<PrepareResult> {
  const sql = postgres(url, {
    max: 1,
    onnotice: () => undefined,
    connection: { application_name: "embedded-migrate" },
  });
  try {
    await sql`select pg_advisory_lock(hashtext('embedded-supabase-migrate'))`;
    const bootstrapped = await bootstrap(sql);
    await applyDefaultPrivileges(sql, options.autoExposeNewTables ?? false);
    const migrations = await migrate(sql, options.migrationsDir);
    let seeded = false;
    if (options.seedFile && existsSync(options.seedFile)) {
      const text = await readFile(options.seedFile, "utf8");
      try {
        await sql.begin((tx) => tx.unsafe(text));
      } catch (error) {
        throw new Error(`supabase/seed.sql failed: ${(error as Error).message}`);
      }
      seeded = true;
    }
    return { bootstrapped, migrations, seeded };
  } finally {
    await sql.end();
  }
}
