import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type AppEnv, withDatabaseUser } from "./app-env.ts";
import { startBackend } from "./backend.ts";
import { paths, readConfig } from "./config.ts";
import { startPostgres } from "./postgres/service.ts";

export interface EmbeddedBackend {
  appEnv: AppEnv;
  describe: string;
  stop(): Promise<void>;
}

/**
 * The rls_client password is per machine: generated once into the git-ignored data folder, so no
 * credential of the app's own database login is ever committed.
 */
async function localRlsClientPassword(): Promise<string> {
  const file = join(paths.dataDir, "rls-client-password");
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  const password = randomBytes(24).toString("base64url");
  await mkdir(paths.dataDir, { recursive: true });
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Everything `npm run dev` needs from the embedded backend, started in this process. */
export async function startEmbeddedBackend(options: { log: (line: string) => void }): Promise<EmbeddedBackend> {
  const config = readConfig();
  const postgres = await startPostgres({ log: options.log });
  const { migrations, seeded } = postgres.prepared;
  if (migrations.length) options.log(`migrations applied: ${migrations.join(", ")}`);
  if (seeded) options.log("seed.sql applied");
  const stopPostgres = async () => {
    if (postgres.startedHere) await postgres.cluster.stop();
  };
  try {
    const backend = await startBackend({
      databaseUrl: postgres.url,
      apiPort: config.api.port,
      mailPort: config.inbucket.port,
      config,
      stateDir: paths.dataDir,
      log: options.log,
    });
    const appEnv: AppEnv = {
      VITE_SUPABASE_URL: backend.apiUrl,
      VITE_SUPABASE_PUBLISHABLE_KEY: backend.publishableKey,
      SUPABASE_SECRET_KEY: backend.secretKey,
      DATABASE_URL: withDatabaseUser(postgres.url, "rls_client", await localRlsClientPassword()),
      ADMIN_DATABASE_URL: postgres.url,
    };
    // For `npm start`, benchmarks and tools run outside `npm run dev`.
    await writeFile(
      join(paths.dataDir, "app.env"),
      Object.entries(appEnv)
        .map(([key, value]) => `${key}=${value}`)
        .join("\n")
        .concat("\n"),
      { mode: 0o600 },
    );
    return {
      appEnv,
      describe: `embedded (API ${backend.apiUrl}, mailbox ${backend.mailUrl}, Postgres 127.0.0.1:${postgres.cluster.options.port})`,
      stop: async () => {
        await backend.stop();
        await stopPostgres();
      },
    };
  } catch (error) {
    await stopPostgres();
    throw error;
  }
}
