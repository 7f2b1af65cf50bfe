import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";
import postgres from "postgres";

/**
 * Logical replication from the `supabase_realtime` publication (Postgres Changes) and
 * `supabase_realtime_messages_publication` (rows for Broadcast) over one temporary pgoutput slot,
 * so both arrive in a single commit order.
 * Our own small pgoutput reader (rather than postgres.js `subscribe()`) because delivery needs what
 * that helper drops: transaction boundaries with the commit time, and values as Postgres's text
 * output (microsecond timestamps, exact numerics) so they can be shaped as `to_jsonb` would.
 */

export interface RelationColumn {
  name: string;
  typeOid: number;
}

export interface Relation {
  id: number;
  schema: string;
  table: string;
  columns: RelationColumn[];
}

/** Text values aligned with `relation.columns`; `undefined` is an unchanged TOAST value. */
export type Tuple = (string | null | undefined)[];

export interface Change {
  type: "INSERT" | "UPDATE" | "DELETE";
  relation: Relation;
  record: Tuple | null;
  old: Tuple | null;
}

export interface Transaction {
  /** Commit time as Supabase formats it: UTC, millisecond precision, `Z`. */
  commitTimestamp: string;
  changes: Change[];
}

export interface FeedOptions {
  databaseUrl: string;
  publications: string[];
  onTransaction(transaction: Transaction): void;
  log(line: string): void;
}

export interface Feed {
  stop(): Promise<void>;
}

const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);
/** Shutdown waits at most this long for the replication stream to close before ending the pool. */
const STREAM_CLOSE_WAIT_MS = 2_000;

class Reader {
  offset = 0;
  constructor(readonly data: Buffer) {}
  byte(): number {
    return this.data[this.offset++] ?? 0;
  }
  int16(): number {
    const value = this.data.readInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  int32(): number {
    const value = this.data.readInt32BE(this.offset);
    this.offset += 4;
    return value;
  }
  int64(): bigint {
    const value = this.data.readBigInt64BE(this.offset);
    this.offset += 8;
    return value;
  }
  string(): string {
    const end = this.data.indexOf(0, this.offset);
    const value = this.data.toString("utf8", this.offset, end);
    this.offset = end + 1;
    return value;
  }
  tuple(): Tuple {
    const count = this.int16();
    const values: Tuple = [];
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(this.byte());
      if (kind === "n") values.push(null);
      else if (kind === "u") values.push(undefined);
      else {
        const length = this.int32();
        values.push(this.data.toString("utf8", this.offset, this.offset + length));
        this.offset += length;
      }
    }
    return values;
  }
}

function timestampOf(microsSince2000: bigint): string {
  return new Date(POSTGRES_EPOCH_MS + Number(microsSince2000 / 1000n)).toISOString();
}

/** Decodes pgoutput (proto_version 1) messages, handing out whole transactions at commit. */
class Decoder {
  readonly relations = new Map<number, Relation>();
  #changes: Change[] = [];
  #commitTimestamp = "";

  constructor(private readonly emit: (transaction: Transaction) => void) {}

  message(data: Buffer): void {
    const reader = new Reader(data);
    const kind = String.fromCharCode(reader.byte());
    switch (kind) {
      case "B": {
        reader.int64();
        this.#commitTimestamp = timestampOf(reader.int64());
        this.#changes = [];
        return;
      }
      case "C": {
        const changes = this.#changes;
        this.#changes = [];
        if (changes.length > 0) this.emit({ commitTimestamp: this.#commitTimestamp, changes });
        return;
      }
      case "R": {
        const id = reader.int32();
        const schema = reader.string();
        const table = reader.string();
        reader.byte();
        const count = reader.int16();
        const columns: RelationColumn[] = [];
        for (let i = 0; i < count; i++) {
          reader.byte();
          const name = reader.string();
          const typeOid = reader.int32() >>> 0;
          reader.int32();
          columns.push({ name, typeOid });
        }
        this.relations.set(id, { id, schema, table, columns });
        return;
      }
      case "I": {
        const relation = this.relations.get(reader.int32());
        reader.byte();
        if (relation) this.#changes.push({ type: "INSERT", relation, record: reader.tuple(), old: null });
        return;
      }
      case "U": {
        const relation = this.relations.get(reader.int32());
        let marker = String.fromCharCode(reader.byte());
        let old: Tuple | null = null;
        if (marker === "K" || marker === "O") {
          old = reader.tuple();
          marker = String.fromCharCode(reader.byte());
        }
        if (relation) this.#changes.push({ type: "UPDATE", relation, record: reader.tuple(), old });
        return;
      }
      case "D": {
        const relation = this.relations.get(reader.int32());
        reader.byte();
        if (relation) this.#changes.push({ type: "DELETE", relation, record: null, old: reader.tuple() });
        return;
      }
      default:
        // Type, Origin, Truncate and logical Message carry nothing Realtime sends.
        return;
    }
  }
}

/**
 * Starts streaming and resolves once the slot exists, so every change committed after that is
 * delivered. A lost connection is re-established with a new slot (changes in the gap are lost, as
 * they would be across a Realtime restart).
 */
export async function startFeed(options: FeedOptions): Promise<Feed> {
  const sql = postgres(options.databaseUrl, {
    max: 1,
    fetch_types: false,
    idle_timeout: 0,
    max_lifetime: null,
    onnotice: () => undefined,
    // Text output must match what the authorization connection prints, hence fixed settings.
    connection: { replication: "database", application_name: "embedded-realtime-wal", TimeZone: "UTC" } as Record<string, string>,
  });
  let stopped = false;
  let stream: Duplex | undefined;
  let retry: NodeJS.Timeout | undefined;
  let confirmed = 0n;

  const feedback = () => {
    if (!stream || stream.destroyed) return;
    const reply = Buffer.alloc(34);
    reply[0] = "r".charCodeAt(0);
    reply.writeBigInt64BE(confirmed, 1);
    reply.writeBigInt64BE(confirmed, 9);
    reply.writeBigInt64BE(confirmed, 17);
    reply.writeBigInt64BE(BigInt(Date.now() - POSTGRES_EPOCH_MS) * 1000n, 25);
    stream.write(reply);
  };

  const connect = async () => {
    const decoder = new Decoder(options.onTransaction);
    const slot = `embedded_realtime_${randomBytes(6).toString("hex")}`;
    const [created] = await sql.unsafe<{ consistent_point: string }[]>(
      `CREATE_REPLICATION_SLOT ${slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT`,
    );
    const start = String(created?.consistent_point);
    const publications = options.publications.join(",").replace(/'/g, "''");
    const current = (await sql
      .unsafe(`START_REPLICATION SLOT ${slot} LOGICAL ${start} (proto_version '1', publication_names '${publications}')`)
      .writable()) as unknown as Duplex;
    stream = current;
    current.on("data", (data: Buffer) => {
      if (data[0] === 0x77) {
        const end = data.readBigInt64BE(9);
        decoder.message(data.subarray(25));
        if (end > confirmed) confirmed = end;
      } else if (data[0] === 0x6b) {
        const walEnd = data.readBigInt64BE(1);
        if (walEnd > confirmed) confirmed = walEnd;
        if (data[17]) feedback();
      }
    });
    current.on("error", (error: Error) => options.log(`realtime: replication stream error: ${error.message}`));
    current.on("close", () => {
      if (stopped || stream !== current) return;
      stream = undefined;
      options.log("realtime: replication stream closed; reconnecting");
      scheduleReconnect();
    });
    options.log(`realtime: streaming publications ${options.publications.join(", ")} from ${start}`);
  };

  const scheduleReconnect = () => {
    retry = setTimeout(() => {
      connect().catch((error: Error) => {
        options.log(`realtime: replication reconnect failed: ${error.message}`);
        if (!stopped) scheduleReconnect();
      });
    }, 1000);
  };

  try {
    await connect();
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw error;
  }

  return {
    async stop() {
      stopped = true;
      clearTimeout(retry);
      const current = stream;
      stream = undefined;
      if (current && !current.destroyed) {
        await new Promise<void>((resolve) => {
          current.once("close", () => resolve());
          current.end();
          setTimeout(resolve, STREAM_CLOSE_WAIT_MS).unref();
        });
      }
      await sql.end({ timeout: 1 });
    },
  };
}
