import { sql } from "drizzle-orm";
import { getRequestEvent } from "solid-js/web";
import { getRequestIP } from "vinxi/http";
import { getDatabase } from "./app-database";
import { serverEnv } from "~/server/env";
import { FormError } from "~/server/forms";

export interface Limit {
  /** What is limited, e.g. "sign-in". */
  action: string;
  perIp: number;
  perAccount: number;
  windowSeconds: number;
}

/** A FormError: its message ("try again in N s") is written for the user. */
export class RateLimited extends FormError {
  override name = "RateLimited";
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts. Try again in ${retryAfterSeconds} s.`);
  }
}

/**
 * Counts one attempt per client IP and per account in Postgres, so the limit holds across every
 * app instance behind a load balancer. Throws RateLimited (whose message is safe to show) when
 * either bucket is over its limit.
 */
export async function consumeAuthAttempt(limit: Limit, account: string | null): Promise<void> {
  const event = getRequestEvent();
  const ip = (event && getRequestIP(event.nativeEvent, { xForwardedFor: serverEnv().TRUST_PROXY })) || "unknown";
  const buckets: [string, number][] = [[`${limit.action}:ip:${ip}`, limit.perIp]];
  if (account) buckets.push([`${limit.action}:account:${account.trim().toLowerCase()}`, limit.perAccount]);
  await consumeBuckets(buckets, limit.windowSeconds);
}

/** One per-account bucket, for limits on signed-in users (the account is their id). */
export async function consumeAttempt(
  limit: { action: string; perAccount: number; windowSeconds: number },
  account: string,
): Promise<void> {
  await consumeBuckets([[`${limit.action}:${account}`, limit.perAccount]], limit.windowSeconds);
}

/**
 * Gives back one attempt taken by consumeAttempt in the current window: for limits that count
 * only failures, the attempt is taken first (so concurrent requests cannot pass the limit
 * together) and returned when it did not fail.
 */
export async function refundAttempt(limit: { action: string; windowSeconds: number }, account: string): Promise<void> {
  const { admin } = getDatabase();
  await admin.execute(sql`select public.refund_rate_limit(${`${limit.action}:${account}`}, ${limit.windowSeconds})`);
}

async function consumeBuckets(buckets: [string, number][], windowSeconds: number): Promise<void> {
  const { admin } = getDatabase();
  let retryAfter = 0;
  for (const [bucket, max] of buckets) {
    const rows = await admin.execute<{ allowed: boolean; retry_after_seconds: number }>(
      sql`select allowed, retry_after_seconds from public.consume_rate_limit(${bucket}, ${max}, ${windowSeconds})`,
    );
    const row = rows[0];
    if (row && !row.allowed) retryAfter = Math.max(retryAfter, row.retry_after_seconds, 1);
  }
  if (retryAfter > 0) throw new RateLimited(retryAfter);
}
