import * as v from "valibot";
import type { SupabaseConfig } from "../config.ts";
import { badRequest, weakPassword } from "./errors.ts";

/** Optional string that tolerates `null`, as JSON clients often send. */
export const optionalString = v.optional(v.nullable(v.string()));
export const metadata = v.optional(v.nullable(v.record(v.string(), v.unknown())));

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const trimmed = email.trim().toLowerCase();
  if (trimmed.length > 255 || !emailPattern.test(trimmed)) {
    throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  }
  return trimmed;
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
