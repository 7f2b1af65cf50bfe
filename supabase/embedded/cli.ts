import { resetPostgres, startPostgres, stopPostgres } from "./postgres/service.ts";

const usage = "usage: tsx supabase/embedded/cli.ts start|stop|reset";

async function main(command: string | undefined): Promise<void> {
  const started = performance.now();
  const took = () => `${Math.round(performance.now() - started)} ms`;
  switch (command) {
    case "start":
    case "reset": {
      const service = command === "start" ? await startPostgres() : await resetPostgres();
      const { migrations, seeded, bootstrapped } = service.prepared;
      console.log(
        [
          `Postgres ${service.startedHere ? "started" : "already running"} on 127.0.0.1:${service.cluster.options.port} (${took()})`,
          bootstrapped ? "  bootstrap applied" : undefined,
          migrations.length ? `  migrations applied: ${migrations.join(", ")}` : "  migrations: up to date",
          seeded ? "  seed.sql applied" : undefined,
          `  ${service.url.replace(/:[^:@/]+@/, ":***@")}`,
        ]
          .filter(Boolean)
          .join("\n"),
      );
      return;
    }
    case "stop":
      await stopPostgres();
      console.log(`Postgres stopped (${took()})`);
      return;
    default:
      throw new Error(usage);
  }
}

main(process.argv[2]).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
