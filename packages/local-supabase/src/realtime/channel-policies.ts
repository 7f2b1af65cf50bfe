import { randomUUID } from "node:crypto";
import type { Sql } from "postgres";
import type { Auth } from "./tokens.ts";

export type Extension = "broadcast" | "presence";

/** What a private channel's subscriber may do, as Supabase's Policies struct: read at join, write on first use. */
export interface Policies {
  read: Record<Extension, boolean>;
  write: Partial<Record<Extension, boolean>>;
}

/** Thrown inside the check's transaction so that postgres.js rolls it back. */
class RolledBack extends Error {}

const INSUFFICIENT_PRIVILEGE = "42501";

/**
 * Private-channel authorization by the app's RLS policies on `realtime.messages`, evaluated the
 * way Supabase Realtime does it: read by inserting one probe row per extension and selecting them
 * back as the subscriber's role, write by inserting as that role; always rolled back, so nothing
 * is stored and nothing reaches the replication feed.
 */
export class ChannelPolicies {
  constructor(private readonly sql: Sql) {}

  async read(auth: Auth, topic: string): Promise<Record<Extension, boolean>> {
    const probes = { broadcast: randomUUID(), presence: randomUUID() };
    return this.#rolledBack(async (tx) => {
      await tx`insert into realtime.messages (id, topic, extension)
               values (${probes.broadcast}, ${topic}, 'broadcast'), (${probes.presence}, ${topic}, 'presence')`;
      await this.#configure(tx, auth, topic);
      const rows = await tx<{ extension: string }[]>`
        select extension from realtime.messages
         where id = any(${[probes.broadcast, probes.presence]}::uuid[]) and extension in ('broadcast', 'presence')`;
      const seen = new Set(rows.map((row) => row.extension));
      return { broadcast: seen.has("broadcast"), presence: seen.has("presence") };
    });
  }

  async write(auth: Auth, topic: string, extension: Extension): Promise<boolean> {
    return this.#rolledBack(async (tx) => {
      await this.#configure(tx, auth, topic);
      try {
        await tx`insert into realtime.messages (topic, extension) values (${topic}, ${extension})`;
        return true;
      } catch (error) {
        if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) return false;
        throw error;
      }
    });
  }

  async #configure(tx: Sql, auth: Auth, topic: string): Promise<void> {
    const sub = typeof auth.claims.sub === "string" ? auth.claims.sub : "";
    await tx`select set_config('role', ${auth.role}, true),
                    set_config('realtime.topic', ${topic}, true),
                    set_config('request.jwt.claims', ${JSON.stringify(auth.claims)}, true),
                    set_config('request.jwt.claim.sub', ${sub}, true),
                    set_config('request.jwt.claim.role', ${auth.role}, true),
                    set_config('request.headers', '{}', true)`;
  }

  async #rolledBack<T>(run: (tx: Sql) => Promise<T>): Promise<T> {
    let result: { value: T } | undefined;
    try {
      await this.sql.begin(async (tx) => {
        result = { value: await run(tx as unknown as Sql) };
        throw new RolledBack();
      });
    } catch (error) {
      if (!(error instanceof RolledBack)) throw error;
    }
    if (!result) throw new Error("authorization check returned nothing");
    return result.value;
  }
}
