import { startPostgres } from "./postgres/service.ts";

export interface EmbeddedBackend {
  appEnv: Record<string, string>;
  describe: string;
  stop(): Promise<void>;
}

/** Everything `npm run dev` needs from the embedded backend, started in this process. */
export async function startEmbeddedBackend(options: {
  log: (line: string) => void;
}): Promise<EmbeddedBackend> {
  const postgres = await startPostgres({ log: options.log });
  const { migrations, seeded } = postgres.prepared;
  if (migrations.length) options.log(`migrations applied: ${migrations.join(", ")}`);
  if (seeded) options.log("seed.sql applied");
  return {
    appEnv: { ADMIN_DATABASE_URL: postgres.url },
    describe: `embedded Postgres on 127.0.0.1:${postgres.cluster.options.port}`,
    stop: async () => {
      if (postgres.startedHere) await postgres.cluster.stop();
    },
  };
}
