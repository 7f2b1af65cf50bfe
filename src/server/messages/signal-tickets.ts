import { createHmac, timingSafeEqual } from "node:crypto";
import { SIGNAL_TICKET_PATTERN } from "~/lib/domain/realtime-topics";
import type { AdminDatabase } from "~/server/db/client";
import { signalTicketKey } from "~/server/db/schema";

/*
 * Presence keys and typing events are whatever a browser sends: any member of a signal topic can
 * track under another user's id (ADR 0040). A page shows an identity there only with a ticket the
 * app's server signed for that user, checked by the server (getSignalNames), never by the page.
 * A ticket seen on a topic can be replayed there by another member until it expires, so it lives
 * minutes, and the page keeps re-tracking with a fresh one: the most a replay shows is someone
 * who really was there a few minutes ago.
 */

export const SIGNAL_TICKET_SECONDS = 300;

/** How long the process keeps the key it read: a rotated key is used within this. */
const KEY_CACHE_MS = 60_000;

// The key, not user data: the same for every request and every instance (it lives in Postgres).
let cached: { key: Promise<Buffer>; readAt: number } | undefined;

function signingKey(admin: AdminDatabase): Promise<Buffer> {
  if (!cached || Date.now() - cached.readAt > KEY_CACHE_MS) {
    const key = admin
      .select({ key: signalTicketKey.key })
      .from(signalTicketKey)
      .then(([row]) => {
        if (!row) throw new Error("public.signal_ticket_key has no row: run the migrations");
        return Buffer.from(row.key, "hex");
      });
    const current = { key, readAt: Date.now() };
    key.catch(() => {
      if (cached === current) cached = undefined;
    });
    cached = current;
  }
  return cached.key;
}

function mac(key: Buffer, userId: string, expiresAt: number): Buffer {
  return createHmac("sha256", key).update(`signal-ticket:v1:${userId.toLowerCase()}:${expiresAt}`).digest();
}

export interface SignalTicket {
  ticket: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export async function signSignalTicket(admin: AdminDatabase, userId: string, now = Date.now()): Promise<SignalTicket> {
  const expiresAt = Math.floor(now / 1000) + SIGNAL_TICKET_SECONDS;
  const signature = mac(await signingKey(admin), userId, expiresAt).toString("base64url");
  return { ticket: `${expiresAt}.${signature}`, expiresAt };
}

/** Whether `ticket` was signed for `userId` and has not expired. Malformed input is just false. */
export async function signalTicketValid(admin: AdminDatabase, userId: string, ticket: string): Promise<boolean> {
  const parts = SIGNAL_TICKET_PATTERN.exec(ticket);
  if (!parts) return false;
  const expiresAt = Number(parts[1]);
  if (expiresAt <= Date.now() / 1000) return false;
  const expected = mac(await signingKey(admin), userId, expiresAt);
  return timingSafeEqual(expected, Buffer.from(parts[2] ?? "", "base64url"));
}
