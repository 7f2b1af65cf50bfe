import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createDatabase, type Database } from "../../../src/server/db/client.ts";
import { isDatabaseUnavailable } from "../../../src/server/db/unavailable.ts";
import { BOB, claimsFor, rlsClientUrl, RLS_CLIENT_PASSWORD } from "./support.ts";
import { syncRlsClientPassword } from "../../../src/server/db/rls-client-login.ts";
import { useTestDatabase } from "local-supabase/testing/vitest";

const db = useTestDatabase();

async function withPool(
  max: number,
  fn: (database: Database, application: string) => Promise<void>,
  port?: number,
): Promise<void> {
  await syncRlsClientPassword(db.sql, RLS_CLIENT_PASSWORD);
  const application = `loss-${Math.random().toString(36).slice(2)}`;
  const url = new URL(rlsClientUrl(db.url));
  const adminUrl = new URL(db.url);
  if (port) [url.port, adminUrl.port] = [String(port), String(port)];
  url.searchParams.set("application_name", application);
  // A short pool wait: a transaction stranded by the lost connection fails within it.
  const database = createDatabase({ url: url.toString(), adminUrl: adminUrl.toString(), max, poolTimeoutSeconds: 2 });
  try {
    await fn(database, application);
  } finally {
    await database.end();
  }
}

async function terminateWhenRunning(application: string, query: string): Promise<void> {
  for (;;) {
    const [row] = await db.sql<{ terminated: boolean }[]>`
      select pg_terminate_backend(pid) as terminated from pg_stat_activity
      where application_name = ${application} and query like ${`%${query}%`} and state = 'active'`;
    if (row?.terminated) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const claims = claimsFor(BOB);
const one = (database: Database) => database.rls(claims, (tx) => tx.execute<{ one: number }>(sql`select 1 as one`));

/** Every later transaction runs: none inherits the lost connection or its error. */
async function expectPoolServes(run: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) expect(await run()).toEqual([{ one: 1 }]);
}

describe("a connection the server ends inside a transaction", () => {
  it("fails that transaction as unavailable, and the pool serves the next ones", async () => {
    await withPool(1, async (database, application) => {
      await one(database);
      const cut = database
        .rls(claims, (tx) => tx.execute(sql`select pg_sleep(30) as cut_here`))
        .then(
          () => null,
          (reason: unknown) => reason,
        );
      await terminateWhenRunning(application, "cut_here");
      const error = await cut;
      expect(isDatabaseUnavailable(error)).toBe(true);
      await expectPoolServes(() => one(database));
    });
  });

  it("settles a transaction that was waiting for that connection, and the pool serves the next ones", async () => {
    await withPool(1, async (database, application) => {
      await one(database);
      const cut = database.rls(claims, (tx) => tx.execute(sql`select pg_sleep(30) as cut_here`)).catch(() => "failed");
      await new Promise((resolve) => setTimeout(resolve, 50));
      const waiting = one(database).then(
        () => "ran",
        (error: unknown) => (isDatabaseUnavailable(error) ? "unavailable" : error),
      );
      await terminateWhenRunning(application, "cut_here");
      expect(await cut).toBe("failed");
      expect(["ran", "unavailable"]).toContain(await waiting);
      await expectPoolServes(() => one(database));
    });
  });

  it("read(): a connection lost during the unawaited COMMIT does not come back to the pool", async () => {
    await withPool(1, async (database, application) => {
      await one(database);
      const rows = database.read(claims, (tx) => tx.execute(sql`select pg_sleep(30) as cut_here`)).catch(() => undefined);
      await terminateWhenRunning(application, "cut_here");
      await rows;
      await expectPoolServes(() => database.read(claims, (tx) => tx.execute(sql`select 1 as one`)));
    });
  });
});

describe("a database that went away and refused connections for a while", () => {
  it("is used again by both pools as soon as it is back", async () => {
    // A TCP door to Postgres. Shut, it drops the connections through it and, not listening,
    // refuses new ones: what the pools see while Postgres restarts.
    const target = Number(new URL(db.url).port);
    const through = new Set<Socket>();
    const door = createServer((socket) => {
      const upstream = connect(target, "127.0.0.1");
      through.add(socket).add(upstream);
      socket.pipe(upstream).pipe(socket);
      socket.on("error", () => upstream.destroy());
      upstream.on("error", () => socket.destroy());
    });
    const openDoor = (port = 0) => new Promise<void>((resolve) => door.listen(port, "127.0.0.1", resolve));
    const shutDoor = () => {
      for (const socket of through) socket.destroy();
      through.clear();
      return new Promise((resolve) => door.close(resolve));
    };
    await openDoor();
    const port = (door.address() as AddressInfo).port;
    try {
      await withPool(
        1,
        async (database) => {
          const adminOne = () => database.admin.execute(sql`select 1 as one`);
          await expectPoolServes(() => one(database));
          await expectPoolServes(adminOne);
          await shutDoor();
          for (let i = 0; i < 5; i++) {
            for (const run of [() => one(database), adminOne]) {
              const error = await run().then(
                () => null,
                (reason: unknown) => reason,
              );
              expect(isDatabaseUnavailable(error)).toBe(true);
            }
          }
          await openDoor(port);
          await expectPoolServes(() => one(database));
          await expectPoolServes(adminOne);
        },
        port,
      );
    } finally {
      await shutDoor();
    }
  });
});
