import * as v from "valibot";
import type { SupabaseConfig } from "../config.ts";
import { badRequest, weakPassword } from "./errors.ts";

/** Optional string that tolerates `null`, as JSON clients often send. */
export const optionalString = v.optional(v.nullable(v.string()));
export const metadata = v.optional(v.nullable(v.record(v.string(), v.unknown())));

/**
 * GoTrue's rule (its checkmail dependency): a dot-atom-ish local part and dot-separated hostname
 * labels, so `user@localhost` passes and quoted or colon-laden local parts do not. GoTrue checks
 * the address as sent, without trimming, and lowercases only after the check.
 */
const emailPattern =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function normaliseEmail(email: string): string {
  if (email === "") throw badRequest("validation_failed", "An email address is required");
  if (email.length > 255) throw badRequest("validation_failed", "An email address is too long");
  if (!emailPattern.test(email)) {
    throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  }
  return email.toLowerCase();
}

/** Length is the only rule: config.toml's password_requirements is empty for this project. */
export function checkPasswordStrength(config: SupabaseConfig, password: string): void {
  const minimum = config.auth.minimum_password_length;
  if (password.length < minimum) {
    throw weakPassword(`Password should be at least ${minimum} characters.`, ["length"]);
  }
}

/** GoTrue's metadata update: keys merge in, a `null` value removes the key. */
export function mergeMetadata(current: Record<string, unknown> | null, update: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(update)) {
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  return merged;
}
