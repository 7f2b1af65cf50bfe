import { getRequestEvent } from "solid-js/web";
import * as v from "valibot";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { ISO_MICROS_PATTERN } from "~/lib/domain/timestamps";
import type { AppRole } from "~/lib/domain/roles";
import { requireRole, requireUser } from "~/server/session/guards";
import { createDrizzleSupabaseClient } from "~/server/db/app-database";
import type { DrizzleSupabaseClient } from "~/server/db/client";
import { isDatabaseUnavailable } from "~/server/db/unavailable";
import { FormError, GENERIC_FAILURE, publicError } from "~/server/forms";
import { HttpError, serviceUnavailable } from "~/server/http-errors";

/**
 * Runs a server function's body so that only redirects, 403/404 responses and messages written
 * for the user (FormError, which RateLimited is too) reach the browser; anything else is logged
 * here with its detail and replaced by a generic failure (no account enumeration, no internals).
 * Errors are thrown: SolidStart turns a thrown error into the submission's `error`, with
 * JavaScript (its serialized body) and without (the flashed form state).
 */
async function withPublicErrors<T>(name: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof Response) throw error;
    if (error instanceof FormError) throw publicError(error.message);
    // A 403 or 503 written for the user; an unreachable database is an outage, not a bug (ADR 0021).
    if (error instanceof HttpError) throw error;
    if (isDatabaseUnavailable(error)) {
      console.warn(`${name}: database unavailable: ${(error as Error).message}`);
      throw serviceUnavailable();
    }
    console.error(`${name} failed:`, error);
    throw publicError(GENERIC_FAILURE);
  }
}

/**
 * The one way to build what a `"use server"` function in a feature's *.api.ts runs: its arguments
 * arrive from anyone as decoded JSON, so they are checked against `args` (a valibot tuple) before
 * `run` sees them, and a wrong shape is a 400 that says what was expected instead of a TypeError
 * with a stack. Whatever `run` throws goes through withPublicErrors. The request itself (body size,
 * encoding, Referer) was checked by the middleware (server-function-request.ts).
 */
export function serverFunction<TArgs extends v.GenericSchema<unknown, unknown[]>, T>(
  name: string,
  args: TArgs,
  run: (...args: v.InferOutput<TArgs>) => T | Promise<T>,
): (...args: unknown[]) => Promise<T> {
  return (...received) =>
    withPublicErrors(name, () => {
      const parsed = v.safeParse(args, received);
      if (!parsed.success) {
        const event = getRequestEvent();
        if (event) event.response.status = 400;
        throw new FormError(`Bad request to ${name}: ${parsed.issues[0].message}`);
      }
      return run(...parsed.output);
    });
}

const NoArguments = v.tuple([]);
const FormArgument = v.tuple([v.instance(FormData, "expected the fields of its form (FormData).")]);

/** A server function that takes nothing (a loader). */
export function serverQuery<T>(name: string, run: () => T | Promise<T>): () => Promise<T> {
  return serverFunction(name, NoArguments, run);
}

/** A form action: its one argument is the submitted form. */
export function serverAction<T>(name: string, run: (form: FormData) => T | Promise<T>): (form: FormData) => Promise<T> {
  return serverFunction(name, FormArgument, run);
}

/** What a signed-in user's server function works with: the verified claims and the database as them. */
export interface SignedIn extends DrizzleSupabaseClient {
  claims: VerifiedClaims;
}

export interface Access {
  /** A role the user must hold (403 otherwise). Signed out is always a redirect to /login. */
  role?: AppRole;
}

function signedIn(access: Access): SignedIn {
  const claims = access.role ? requireRole(access.role) : requireUser();
  return { claims, ...createDrizzleSupabaseClient(claims) };
}

/**
 * serverFunction() for signed-in users: the guard runs before `run`, which gets the user, so an
 * entry point for user data cannot forget it.
 */
export function userFunction<TArgs extends v.GenericSchema<unknown, unknown[]>, T>(
  name: string,
  args: TArgs,
  run: (user: SignedIn, ...args: v.InferOutput<TArgs>) => T | Promise<T>,
  access: Access = {},
): (...args: unknown[]) => Promise<T> {
  return serverFunction(name, args, (...parsed) => run(signedIn(access), ...parsed));
}

/** A signed-in user's loader that takes nothing. */
export function userQuery<T>(name: string, run: (user: SignedIn) => T | Promise<T>, access: Access = {}): () => Promise<T> {
  return userFunction(name, NoArguments, run, access);
}

/** A signed-in user's form action. */
export function userAction<T>(
  name: string,
  run: (user: SignedIn, form: FormData) => T | Promise<T>,
  access: Access = {},
): (form: FormData) => Promise<T> {
  return userFunction(name, FormArgument, run, access);
}

/** A UTC timestamp as the feed writes them, for a real calendar date Postgres can store. */
export const Timestamp = v.pipe(
  v.string("expected a timestamp string."),
  v.regex(ISO_MICROS_PATTERN, "expected a UTC timestamp like 2026-01-31T12:00:00.000000Z."),
  v.check((value) => {
    const time = Date.parse(value);
    return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 19) === value.slice(0, 19) && value >= "1970";
  }, "expected a timestamp on a real date after 1970."),
);

export const Uuid = v.pipe(v.string("expected a uuid."), v.regex(UUID_PATTERN, "expected a uuid."));
