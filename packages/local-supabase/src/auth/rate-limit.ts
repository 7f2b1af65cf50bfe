import type { SupabaseConfig } from "../config.ts";
import { tooManyRequests } from "./errors.ts";

/** The [auth.rate_limit] buckets this server enforces, with GoTrue's windows. */
export type Bucket = "email_sent" | "sign_in_sign_ups" | "token_refresh" | "token_verifications" | "anonymous_users";

const windows: Record<Bucket, number> = {
  email_sent: 60 * 60_000,
  anonymous_users: 60 * 60_000,
  sign_in_sign_ups: 5 * 60_000,
  token_refresh: 5 * 60_000,
  token_verifications: 5 * 60_000,
};

/** Supabase CLI defaults, used when config.toml leaves a bucket out. */
const defaults: Record<Bucket, number> = {
  email_sent: 2,
  anonymous_users: 30,
  sign_in_sign_ups: 30,
  token_refresh: 150,
  token_verifications: 30,
};

/** What `supabase start` hands GoTrue as GOTRUE_RATE_LIMIT_EMAIL_SENT when mail goes to its Mailpit. */
const CLI_EMAIL_SENT = 360_000;

/**
 * `local`: as under `supabase start`, whose GoTrue gets no rate-limit header to key on and so
 * limits nothing per IP, with email_sent raised to the CLI's figure; max_frequency still holds.
 * `hosted`: as a hosted project, where every [auth.rate_limit] bucket counts per client IP.
 */
export type RateLimitMode = "local" | "hosted";

/** "1s", "60s", "1m0s" as config.toml writes Go durations. */
export function parseDuration(text: string): number {
  let total = 0;
  const pattern = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let matched = false;
  for (const [, amount, unit] of text.matchAll(pattern)) {
    matched = true;
    const factor = unit === "h" ? 3_600_000 : unit === "m" ? 60_000 : unit === "s" ? 1000 : 1;
    total += Number(amount) * factor;
  }
  return matched ? total : 0;
}

/**
 * Fixed windows counted in memory; a restart forgets the counts. email_sent is one project-wide
 * count, as GoTrue keeps it; the other buckets count per client IP, and only in `hosted` mode.
 */
export class RateLimiter {
  #hits = new Map<string, { start: number; count: number }>();
  #lastMail = new Map<string, number>();

  constructor(
    private readonly config: SupabaseConfig,
    private readonly mode: RateLimitMode = "local",
  ) {}

  take(bucket: Bucket, ip: string): void {
    if (bucket !== "email_sent" && this.mode === "local") return;
    const limit =
      bucket === "email_sent" && this.mode === "local"
        ? CLI_EMAIL_SENT
        : (this.config.auth.rate_limit[bucket] ?? defaults[bucket]);
    const key = bucket === "email_sent" ? bucket : `${bucket}:${ip}`;
    const now = Date.now();
    const entry = this.#hits.get(key);
    if (!entry || now - entry.start >= windows[bucket]) {
      this.#hits.set(key, { start: now, count: 1 });
      if (limit >= 1) return;
    } else {
      entry.count++;
      if (entry.count <= limit) return;
    }
    if (bucket === "email_sent") throw tooManyRequests("over_email_send_rate_limit", "email rate limit exceeded");
    throw tooManyRequests("over_request_rate_limit", "Request rate limit reached");
  }

  /** `[auth.email] max_frequency`: the minimum gap between two mails to one address. */
  takeMailTo(address: string): void {
    const gap = parseDuration(this.config.auth.email.max_frequency);
    const key = address.toLowerCase();
    const now = Date.now();
    const last = this.#lastMail.get(key);
    if (last !== undefined && now - last < gap) {
      const seconds = Math.ceil((gap - (now - last)) / 1000);
      throw tooManyRequests(
        "over_email_send_rate_limit",
        `For security purposes, you can only request this after ${seconds} seconds.`,
      );
    }
    this.#lastMail.set(key, now);
  }
}
