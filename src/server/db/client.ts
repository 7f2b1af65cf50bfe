import { entityKind, sql } from "drizzle-orm";
import { PgDialect, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle, type PostgresJsDatabase, type PostgresJsQueryResultHKT, PostgresJsSession } from "drizzle-orm/postgres-js";
import type { ExtractTablesWithRelations } from "drizzle-orm/relations";
import postgres from "postgres";
import type { VerifiedClaims } from "../../lib/domain/claims";
import { UUID_PATTERN } from "../../lib/domain/ids";
import * as schema from "./schema";
import { isDatabaseUnavailable } from "./unavailable";

type Schema = typeof schema;
type Relations = ExtractTablesWithRelations<Schema>;
type RelationalSchema = { fullSchema: Schema; schema: Relations; tableNamesMap: Record<string, string> };

// The one claims type; re-exported because the RLS client's API is written in it.
export type { VerifiedClaims } from "../../lib/domain/claims";

export type AdminDatabase = PostgresJsDatabase<Schema>;

/** Drizzle's transaction API, bound to a connection whose role and claims are those of one user. */
export class RlsTransaction extends PgTransaction<PostgresJsQueryResultHKT, Schema, Relations> {
  static override readonly [entityKind]: string = "RlsTransaction";

  // Drizzle keeps its own copies internal; nested transactions need them.
  constructor(
    private readonly rlsDialect: PgDialect,
    private readonly rlsSession: PostgresJsSession<postgres.Sql, Schema, Relations>,
    relations: RelationalSchema,
    nestedIndex = 0,
  ) {
    super(rlsDialect, rlsSession, relations, nestedIndex);
  }

  override async transaction<T>(fn: (tx: RlsTransaction) => Promise<T>): Promise<T> {
    const savepoint = sql.raw(`sp${this.nestedIndex + 1}`);
    const tx = new RlsTransaction(this.rlsDialect, this.rlsSession, this.schema as RelationalSchema, this.nestedIndex + 1);
    await tx.execute(sql`savepoint ${savepoint}`);
    try {
      const result = await fn(tx);
      await tx.execute(sql`release savepoint ${savepoint}`);
      return result;
    } catch (error) {
      await tx.execute(sql`rollback to savepoint ${savepoint}`);
      throw error;
    }
  }
}

export type RlsRunner = <T>(fn: (tx: RlsTransaction) => Promise<T>) => Promise<T>;

/**
 * What a loader or action gets: `rls` for user data, `read` for user data a loader only reads,
 * `admin` for administrative paths only.
 */
export interface DrizzleSupabaseClient {
  admin: AdminDatabase;
  rls: RlsRunner;
  read: RlsRunner;
}

export interface Database {
  /** Full-power connection (ADMIN_DATABASE_URL): bypasses RLS. */
  admin: AdminDatabase;
  /** Runs `fn` in one transaction as `authenticated` with these claims, or as `anon` with null. */
  rls<T>(claims: VerifiedClaims | null, fn: (tx: RlsTransaction) => Promise<T>): Promise<T>;
  /**
   * `rls()` for reads: a READ ONLY transaction (a write in it fails) whose COMMIT is sent but not
   * waited for, so a loader's query costs one round trip instead of two. See ADR 0016.
   */
  read<T>(claims: VerifiedClaims | null, fn: (tx: RlsTransaction) => Promise<T>): Promise<T>;
  /** `{ admin, rls, read }` for one request's verified claims. */
  forClaims(claims: VerifiedClaims | null): DrizzleSupabaseClient;
  end(): Promise<void>;
}

export interface DatabaseOptions {
  /** The `rls_client` login (DATABASE_URL). */
  url: string;
  /** The admin login (ADMIN_DATABASE_URL). */
  adminUrl: string;
  /** Connections in the rls pool. */
  max?: number;
  adminMax?: number;
  /**
   * Named prepared statements. Keep on for direct connections (the per-transaction setup is then
   * pipelined with the first query); turn off behind a transaction-mode pooler (Supavisor :6543).
   */
  prepare?: boolean;
  /** How long a transaction waits for a connection of the rls pool before failing as unavailable. */
  poolTimeoutSeconds?: number;
}

// The role is a bound parameter too, but it only ever holds one of these two constants.
// set_config('role', ..., true) is what SET LOCAL ROLE does internally (same membership check,
// same loss of superuser), and unlike SET it accepts a parameter, so the whole setup is one
// statement that postgres.js pipelines behind BEGIN and ahead of the caller's first query.
const SETUP = `select set_config('request.jwt.claims', $1, true),
  set_config('request.jwt.claim.sub', $2, true),
  set_config('role', $3, true)`;

type RlsRole = "anon" | "authenticated";

export function setupParameters(claims: VerifiedClaims | null): [string, string, RlsRole] {
  if (claims === null) return [JSON.stringify({ role: "anon" }), "", "anon"];
  if (claims.role === "anon") return [JSON.stringify(claims), "", "anon"];
  if (claims.role !== "authenticated") {
    throw new Error(`rls(): a token with role "${claims.role}" cannot be used for an RLS transaction`);
  }
  if (!UUID_PATTERN.test(claims.sub)) throw new Error("rls(): the token's sub is not a user id");
  return [JSON.stringify(claims), claims.sub, "authenticated"];
}

/**
 * Drizzle sends its queries unprepared, and postgres.js then spends a round trip describing any
 * statement with parameters before it can bind it, which also stops the pipeline. Inside rls()
 * queries run as named prepared statements instead (cached per connection by their text), so
 * BEGIN, the setup and the first query share one round trip. Plans stay per-user safe: Postgres
 * re-plans a cached statement when the role changes, and claims are read at execution time.
 */
function withPreparedStatements(connection: postgres.ReservedSql, prepare: boolean): postgres.Sql {
  const client: Pick<postgres.Sql, "unsafe"> = {
    unsafe: (query, parameters, options) => connection.unsafe(query, parameters, { ...options, prepare }),
  };
  return Object.assign(Object.create(connection) as postgres.Sql, client);
}

// postgres.js waits 30 s for a connection by default; a database that is unreachable without
// refusing (a dropped route, a stalled pooler) would hold every request that long (ADR 0021).
const CONNECT_TIMEOUT_SECONDS = 5;
// Long enough for a busy pool to free a connection and for one connect attempt after that.
const POOL_TIMEOUT_SECONDS = 2 * CONNECT_TIMEOUT_SECONDS;

/**
 * postgres.js (3.4.9) mishandles a connection the server closes while a reserved query runs:
 * releasing the reservation puts the dead connection back in the pool, a statement sent on it (a
 * ROLLBACK included) never settles and throws from a timer, and on reconnect the connection hands
 * the old "terminating connection" error to its next reservation and is lost to the pool. A
 * reserve() whose connect failed also stays queued and later takes a connection nobody holds. So
 * such a reservation is neither used nor released, and after either failure the pool is replaced
 * by a fresh one: the old one's broken state never meets a request again.
 */
function connectionLost(...errors: unknown[]): boolean {
  return errors.some((error) => isDatabaseUnavailable(error));
}

const POOL_TIMEOUT = "POOL_TIMEOUT";
const isPoolTimeout = (error: unknown) => (error as { code?: unknown } | null)?.code === POOL_TIMEOUT;

/**
 * The same version can also forget a reserve() that waits for a connection while another one
 * closes: it never settles. A bounded wait turns that, and a pool that stays exhausted, into an
 * "unavailable" failure (503) instead of a request that hangs.
 */
async function reserveWithin(client: postgres.Sql, seconds: number): Promise<postgres.ReservedSql> {
  const reservation = client.reserve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(Object.assign(new Error(`no database connection became free within ${seconds} s`), { code: POOL_TIMEOUT }));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([reservation, timeout]);
  } catch (error) {
    reservation.then(
      (late) => late.release(),
      () => undefined,
    );
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

export function createDatabase(options: DatabaseOptions): Database {
  const prepare = options.prepare ?? true;
  const poolTimeoutSeconds = options.poolTimeoutSeconds ?? POOL_TIMEOUT_SECONDS;
  const openPool = (url: string, max: number, application: string) =>
    postgres(url, {
      max,
      connect_timeout: CONNECT_TIMEOUT_SECONDS,
      prepare,
      onnotice: () => undefined,
      connection: { application_name: application },
    });
  const adminClient = openPool(options.adminUrl, options.adminMax ?? 3, "app-admin");
  const admin = drizzle({ client: adminClient, schema });
  const newRlsClient = () => {
    const rlsClient = openPool(options.url, options.max ?? 10, "app-rls");
    // Installs drizzle's date parsers on the client, which the transactions below share.
    return { client: rlsClient, root: drizzle({ client: rlsClient, schema }) };
  };
  let current = newRlsClient();
  const retiring = new Set<Promise<void>>();
  /** After a lost connection, new transactions get a new pool; the old one closes behind them. */
  function retire(lost: postgres.Sql): void {
    if (current.client !== lost) return;
    current = newRlsClient();
    const ended: Promise<void> = lost
      .end({ timeout: poolTimeoutSeconds })
      .catch(() => undefined)
      .finally(() => retiring.delete(ended));
    retiring.add(ended);
  }
  const relations: RelationalSchema = {
    fullSchema: current.root._.fullSchema,
    schema: current.root._.schema as Relations,
    tableNamesMap: current.root._.tableNamesMap,
  };
  const dialect = new PgDialect();

  // read() COMMITs still on their way: end() lets them finish before closing the pools.
  const committing = new Set<Promise<void>>();

  // A reserved connection instead of sql.begin(): sql.begin() waits for BEGIN to come back before
  // sending anything else, while here BEGIN, the setup and the caller's first query leave in one
  // write. Statements on one connection run in order, so no query of the caller can run before
  // the setup, and if the setup fails the transaction is aborted and every later query fails too.
  async function transaction<T>(
    claims: VerifiedClaims | null,
    fn: (tx: RlsTransaction) => Promise<T>,
    readOnly: boolean,
  ): Promise<T> {
    const parameters = setupParameters(claims);
    const pool = current.client;
    const connection = await reserveWithin(pool, poolTimeoutSeconds).catch((error: unknown) => {
      if (!isPoolTimeout(error) && connectionLost(error)) retire(pool);
      throw error;
    });
    let releaseInFinally = true;
    const drop = () => {
      releaseInFinally = false;
      retire(pool);
    };
    try {
      const ready = Promise.all([
        connection.unsafe(readOnly ? "begin read only" : "begin").execute(),
        connection.unsafe(SETUP, parameters, { prepare }).execute(),
      ]);
      const setupError = ready.then(
        () => undefined,
        (error: unknown) => error,
      );
      const session = new PostgresJsSession<postgres.Sql, Schema, Relations>(
        withPreparedStatements(connection, prepare),
        dialect,
        relations,
      );
      const tx = new RlsTransaction(dialect, session, relations);
      let result: T;
      try {
        result = await fn(tx);
        await ready;
      } catch (error) {
        // A failed setup surfaces as "current transaction is aborted" in the caller's query.
        const cause = (await setupError) ?? error;
        if (connectionLost(cause, error)) drop();
        else await connection.unsafe("rollback").catch(() => undefined);
        throw cause;
      }
      if (readOnly) {
        // The caller does not wait: the transaction wrote nothing and the rows are read, so a
        // failed COMMIT loses nothing. The connection goes back to the pool only once COMMIT has
        // answered, so the next borrower (other claims) can never start inside this transaction,
        // even when postgres.js still holds the COMMIT in this reservation's own queue.
        releaseInFinally = false;
        const committed: Promise<void> = connection
          .unsafe("commit")
          .execute()
          .then(
            () => connection.release(),
            (error: unknown) => {
              if (connectionLost(error)) retire(pool);
              else connection.release();
            },
          )
          .finally(() => committing.delete(committed));
        committing.add(committed);
        return result;
      }
      // COMMIT of a transaction in which a statement failed (one the callback did not await)
      // answers ROLLBACK without an error.
      const committed = await connection.unsafe("commit").catch((error: unknown) => {
        if (connectionLost(error)) drop();
        throw error;
      });
      if (committed.command !== "COMMIT") throw new Error("rls(): a statement failed; the transaction was rolled back");
      return result;
    } finally {
      if (releaseInFinally) connection.release();
    }
  }

  const rls: Database["rls"] = (claims, fn) => transaction(claims, fn, false);
  const read: Database["read"] = (claims, fn) => transaction(claims, fn, true);
  return {
    admin,
    rls,
    read,
    forClaims: (claims) => ({ admin, rls: (fn) => rls(claims, fn), read: (fn) => read(claims, fn) }),
    async end() {
      await Promise.all(committing);
      await Promise.all([current.client.end({ timeout: 5 }), adminClient.end({ timeout: 5 }), ...retiring]);
    },
  };
}
