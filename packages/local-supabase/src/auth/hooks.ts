import { randomUUID } from "node:crypto";
import type postgres from "postgres";
import { PG_FUNCTION_HOOK_URI } from "../config.ts";
import type { AuthContext } from "./context.ts";
import { AuthApiError } from "./errors.ts";

/**
 * GoTrue's Postgres-function Auth hooks, as its hook manager runs them: the function is called
 * with one JSON argument in a transaction of its own (committed whatever the request then
 * answers), as GoTrue's database role, under a 2 s statement timeout; what it returns is read as
 * the hook's output, unless it carries an `error` object with a message.
 */

/** GoTrue's database login: what a hook function runs as, and the only role its EXECUTE goes to. */
const HOOK_ROLE = "supabase_auth_admin";
const HOOK_TIMEOUT_MS = 2000;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** GoTrue reads these fields into Go strings / ints: null counts as absent, another type fails the read. */
const readsAs = (value: unknown, type: "string" | "integer") =>
  value === undefined || value === null || (type === "string" ? typeof value === "string" : Number.isInteger(value));

const unexpected = (message: string) => new AuthApiError(500, "unexpected_failure", message);

/** `{error: {http_code, message}}`: an error when the message is not empty, 500 when no code is given. */
function errorInOutput(output: unknown): AuthApiError | undefined {
  if (!isObject(output) || !isObject(output.error)) return undefined;
  const { http_code: httpCode, message } = output.error;
  if (!readsAs(httpCode, "integer") || !readsAs(message, "string") || !message) return undefined;
  const status = typeof httpCode === "number" && httpCode >= 100 && httpCode <= 599 ? httpCode : 500;
  // GoTrue's error then has no code of its own; its error writer fills one in.
  return new AuthApiError(status, status === 500 ? "unexpected_failure" : "unknown", message as string);
}

async function callHook(context: AuthContext, uri: string, input: Record<string, unknown>): Promise<unknown> {
  const [, schema, name] = PG_FUNCTION_HOOK_URI.exec(uri) ?? [];
  let text: string | null;
  try {
    text = await context.sql.begin(async (tx) => {
      await tx.unsafe(`set local role ${HOOK_ROLE}`);
      await tx.unsafe(`set local statement_timeout = ${HOOK_TIMEOUT_MS}`);
      // The argument goes untyped, as GoTrue sends it: Postgres picks the function's json or
      // jsonb parameter, and postgres.js then writes the object as JSON once.
      const [row] = await tx.unsafe<{ output: string | null }[]>(`select "${schema}"."${name}"($1)::text as output`, [
        input as postgres.JSONValue,
      ]);
      return row?.output ?? null;
    });
  } catch (error) {
    context.log(`auth: hook ${uri} failed: ${(error as Error).message}`);
    throw unexpected(`Error running hook URI: ${uri}`);
  }
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw unexpected("Error unmarshaling JSON output.");
  }
}

export interface MfaVerificationAttempt {
  userId: string;
  factorId: string;
  factorType: string;
  valid: boolean;
  ip: string;
}

const DEFAULT_REJECTION = "Further MFA verification attempts will be rejected.";

/**
 * `[auth.hook.mfa_verification_attempt]`: called for every code GoTrue has checked, right or wrong,
 * before it answers. Returns the rejection message when the hook says `decision: "reject"`, on which
 * GoTrue signs the user out everywhere (every session of the user, aal2 ones included) and answers
 * 403 `mfa_verification_rejected` with it.
 */
export async function mfaVerificationAttemptHook(
  context: AuthContext,
  attempt: MfaVerificationAttempt,
): Promise<{ rejected: string } | undefined> {
  const hook = context.config.auth.hook.mfa_verification_attempt;
  if (!hook.enabled) return undefined;
  const output = await callHook(context, hook.uri, {
    metadata: { uuid: randomUUID(), time: new Date().toISOString(), name: "mfa-verification", ip_address: attempt.ip },
    user_id: attempt.userId,
    factor_id: attempt.factorId,
    factor_type: attempt.factorType,
    valid: attempt.valid,
  });
  const failure = errorInOutput(output);
  if (failure) throw failure;
  if (output === null) return undefined;
  if (!isObject(output) || !readsAs(output.decision, "string") || !readsAs(output.message, "string")) {
    throw unexpected("Error unmarshaling JSON output.");
  }
  if (output.decision !== "reject") return undefined;
  return { rejected: (output.message as string | undefined) || DEFAULT_REJECTION };
}
