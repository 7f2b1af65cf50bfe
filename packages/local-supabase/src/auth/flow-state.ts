import { randomUUID } from "node:crypto";
import type { AuthContext } from "./context.ts";
import { badRequest, notFound, unprocessable } from "./errors.ts";
import { type AuthMethod, issueSession, type SessionResponse } from "./sessions.ts";
import { pkceChallenge } from "./tokens.ts";
import type { Db } from "./users.ts";

/** GoTrue's default FlowStateExpiryDuration. */
export const FLOW_STATE_TTL_MS = 5 * 60_000;

export interface PkceParams {
  challenge: string;
  method: "s256" | "plain";
}

/** Both or neither; a challenge is 43–128 URL-safe characters (RFC 7636). */
export function readPkceParams(challenge: string | undefined, method: string | undefined): PkceParams | undefined {
  if (!challenge && !method) return undefined;
  if (!challenge || !method) {
    throw badRequest("validation_failed", "PKCE flow requires code_challenge_method and code_challenge");
  }
  if (challenge.length < 43 || challenge.length > 128) {
    throw badRequest("validation_failed", "code challenge has to be between 43 and 128 characters");
  }
  if (!/^[a-zA-Z._~0-9-]+$/.test(challenge)) {
    throw badRequest(
      "validation_failed",
      "code challenge can only contain alphanumeric characters, hyphens, periods, underscores and tildes",
    );
  }
  const normalised = method.toLowerCase();
  if (normalised !== "s256" && normalised !== "plain") {
    throw badRequest("validation_failed", `code challenge method not supported: ${method}`);
  }
  return { challenge, method: normalised };
}

export async function createFlowState(
  db: Db,
  input: { pkce: PkceParams; providerType: string; method: AuthMethod; userId: string | null },
): Promise<{ id: string; authCode: string }> {
  const id = randomUUID();
  const authCode = randomUUID();
  await db`
    insert into auth.flow_state (id, user_id, auth_code, code_challenge_method, code_challenge, provider_type,
      created_at, updated_at, authentication_method)
    values (${id}, ${input.userId}, ${authCode}, ${input.pkce.method}, ${input.pkce.challenge}, ${input.providerType},
      now(), now(), ${input.method})`;
  return { id, authCode };
}

/** A verified PKCE mail link hands out the code of the user's latest flow for that method. */
export async function issueAuthCode(db: Db, userId: string, method: AuthMethod): Promise<string> {
  const [flow] = await db<{ id: string; auth_code: string }[]>`
    select id, auth_code from auth.flow_state
    where user_id = ${userId} and authentication_method = ${method}
    order by created_at desc limit 1`;
  if (!flow) throw unprocessable("flow_state_not_found", "No valid flow state found for user.");
  await db`update auth.flow_state set auth_code_issued_at = now(), updated_at = now() where id = ${flow.id}`;
  return flow.auth_code;
}

interface FlowRow {
  id: string;
  user_id: string | null;
  code_challenge_method: "s256" | "plain";
  code_challenge: string;
  authentication_method: string;
  created_at: Date;
  auth_code_issued_at: Date | null;
}

/** `grant_type=pkce`: one use per code, verifier must match, and a code lives five minutes. */
export async function exchangeAuthCode(
  context: AuthContext,
  authCode: string,
  verifier: string,
  meta: { userAgent?: string; ip?: string },
): Promise<SessionResponse> {
  return context.sql.begin(async (tx) => {
    const [flow] = await tx<FlowRow[]>`
      select id, user_id, code_challenge_method, code_challenge, authentication_method, created_at, auth_code_issued_at
      from auth.flow_state where auth_code = ${authCode} for update`;
    if (!flow?.user_id) throw notFound("flow_state_not_found", "invalid flow state, no valid flow state found");
    const startedAt =
      flow.auth_code_issued_at && flow.authentication_method === "magiclink" ? flow.auth_code_issued_at : flow.created_at;
    if (Date.now() > startedAt.getTime() + FLOW_STATE_TTL_MS) {
      throw unprocessable("flow_state_expired", "invalid flow state, flow state has expired");
    }
    if (pkceChallenge(verifier, flow.code_challenge_method) !== flow.code_challenge) {
      throw badRequest("bad_code_verifier", "code challenge does not match previously saved code verifier");
    }
    await tx`delete from auth.flow_state where id = ${flow.id}`;
    return issueSession(tx, context, flow.user_id, flow.authentication_method as AuthMethod, meta);
  });
}
