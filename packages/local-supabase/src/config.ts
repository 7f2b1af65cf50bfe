import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import * as v from "valibot";

export interface ProjectPaths {
  /** The project folder: the one holding `supabase/config.toml`. */
  workdir: string;
  configToml: string;
  migrationsDir: string;
  seedFile: string;
  /** Everything the local Supabase writes (cluster, signing key) lives here; git-ignore it. */
  dataDir: string;
}

/**
 * The Supabase CLI's files of a project, which this package only reads. Its own state goes to
 * `.cache/local-supabase/` of the project unless told otherwise, so `supabase/` keeps only what
 * the CLI owns and an installed copy of the package never writes into node_modules.
 */
export function projectPaths(workdir = process.cwd(), dataDir?: string): ProjectPaths {
  const root = resolve(workdir);
  return {
    workdir: root,
    configToml: join(root, "supabase", "config.toml"),
    migrationsDir: join(root, "supabase", "migrations"),
    seedFile: join(root, "supabase", "seed.sql"),
    dataDir: resolve(root, dataDir ?? join(".cache", "local-supabase")),
  };
}

const port = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65535));

/**
 * A Postgres-function hook's URI as GoTrue accepts it at start-up: `pg-functions://<db>/<schema>/<function>`,
 * each name a plain identifier. HTTP hooks are not served here, so they are refused at start too.
 */
export const PG_FUNCTION_HOOK_URI = /^pg-functions:\/\/[^/]*\/([a-zA-Z_][a-zA-Z0-9_]{0,62})\/([a-zA-Z_][a-zA-Z0-9_]{0,62})$/;

const HookPoint = v.pipe(
  v.object({ enabled: v.optional(v.boolean(), false), uri: v.optional(v.string(), "") }),
  v.check(
    (hook) => !hook.enabled || PG_FUNCTION_HOOK_URI.test(hook.uri),
    'an enabled hook needs uri = "pg-functions://postgres/<schema>/<function>" (HTTP hooks are not served locally)',
  ),
);

/** The part of config.toml the local Supabase honours; everything else is the CLI's business. */
const ConfigToml = v.object({
  api: v.object({
    port,
    // The Supabase CLI's own default flipped to false for projects created since 30 May 2026.
    auto_expose_new_tables: v.optional(v.boolean(), false),
  }),
  db: v.object({ port, major_version: v.optional(v.number()) }),
  inbucket: v.object({ port }),
  auth: v.object({
    site_url: v.pipe(v.string(), v.url()),
    additional_redirect_urls: v.optional(v.array(v.string()), []),
    jwt_expiry: v.optional(v.number(), 3600),
    enable_refresh_token_rotation: v.optional(v.boolean(), true),
    refresh_token_reuse_interval: v.optional(v.number(), 10),
    enable_signup: v.optional(v.boolean(), true),
    enable_anonymous_sign_ins: v.optional(v.boolean(), false),
    minimum_password_length: v.optional(v.number(), 6),
    rate_limit: v.optional(v.record(v.string(), v.number()), {}),
    // Auth hooks served here; the CLI's other hook names (custom_access_token, send_email, ...)
    // are left to the CLI.
    hook: v.optional(v.object({ mfa_verification_attempt: v.optional(HookPoint, {}) }), {}),
    // The CLI's defaults: TOTP off unless config.toml turns it on (GoTrue alone defaults to on).
    mfa: v.optional(
      v.object({
        max_enrolled_factors: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 10),
        totp: v.optional(
          v.object({
            enroll_enabled: v.optional(v.boolean(), false),
            verify_enabled: v.optional(v.boolean(), false),
          }),
          {},
        ),
      }),
      {},
    ),
    email: v.optional(
      v.object({
        enable_signup: v.optional(v.boolean(), true),
        enable_confirmations: v.optional(v.boolean(), false),
        double_confirm_changes: v.optional(v.boolean(), true),
        secure_password_change: v.optional(v.boolean(), false),
        max_frequency: v.optional(v.string(), "1s"),
        otp_length: v.optional(v.number(), 6),
        otp_expiry: v.optional(v.number(), 3600),
      }),
      {},
    ),
  }),
});

export type SupabaseConfig = v.InferOutput<typeof ConfigToml>;

export function readConfig(file = projectPaths().configToml): SupabaseConfig {
  if (!existsSync(file)) {
    throw new Error(`${file} not found: run in a Supabase project folder, or name it (workdir, --workdir)`);
  }
  const result = v.safeParse(ConfigToml, parse(readFileSync(file, "utf8")));
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue.path?.map((item) => String(item.key)).join(".") ?? "(root)";
    throw new Error(`${file}: ${where}: ${issue.message}`);
  }
  return result.output;
}

/** Local-only credentials, the same everyone gets from `supabase start`. */
export const LOCAL_SUPERUSER_PASSWORD = "postgres";
