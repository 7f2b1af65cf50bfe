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

/** A server function's arguments: a valibot tuple, checked before its body runs. */
type Args = v.GenericSchema<unknown[], unknown[]>;
/** What a server function's body gets, after the check. */
type Run<TArgs extends Args, T> = (...args: v.InferOutput<TArgs>) => T | Promise<T>;

/**
 * A server function as its RPC stub calls it: typed by what the browser may send (the tuple's
 * input), though at run time it takes anything and checks it first.
 */
export type ServerFunction<TArgs extends Args, T> = (...args: v.InferInput<TArgs>) => Promise<T>;

const NoArguments = v.tuple([]);
const FormArgument = v.tuple([v.instance(FormData, "expected the fields of its form (FormData).")]);
type NoArguments = typeof NoArguments;
type FormArgument = typeof FormArgument;

/**
 * What every guarded function runs: its arguments arrive from anyone as decoded JSON, so they are
 * checked against `args` before `run` sees them, and a wrong shape is a 400 that says what was
 * expected instead of a TypeError with a stack. Whatever `run` throws goes through
 * withPublicErrors. The request itself (body size, encoding, Referer) was checked by the
 * middleware (server-function-request.ts).
 */
function guarded<TArgs extends Args, T>(name: string, args: TArgs, run: Run<TArgs, T>): ServerFunction<TArgs, T> {
  return (...received: unknown[]) =>
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

/*
 * The exports of an RPC module (src/server/<domain>/*.ts, ADR 0049) are built only by the six
 * functions below, and the one used says what its stub in src/features/<domain>/<domain>.api.ts
 * is (config/rpc-stubs.ts reads it from the source): a *Query is a cached `query()` keyed by its
 * name, which pages load and route preloads warm; a *Action is a form's `action()`, whose one
 * argument is the submitted form; a *Function is a plain server function that page code calls
 * and awaits. `server*` runs for anyone, `user*` only for a signed-in user (with `access.role`).
 * `name` is the export's own name: it is the stub's, the query's key and the log's.
 */

/** A plain server function anyone may call. */
export function serverFunction<T>(name: string, run: Run<NoArguments, T>): ServerFunction<NoArguments, T>;
export function serverFunction<TArgs extends Args, T>(name: string, args: TArgs, run: Run<TArgs, T>): ServerFunction<TArgs, T>;
export function serverFunction(name: string, ...rest: [Run<Args, unknown>] | [Args, Run<Args, unknown>]) {
  return rest.length === 1 ? guarded(name, NoArguments, rest[0]) : guarded(name, ...rest);
}

/** A cached loader anyone may call. */
export function serverQuery<T>(name: string, run: Run<NoArguments, T>): ServerFunction<NoArguments, T>;
export function serverQuery<TArgs extends Args, T>(name: string, args: TArgs, run: Run<TArgs, T>): ServerFunction<TArgs, T>;
export function serverQuery(name: string, ...rest: [Run<Args, unknown>] | [Args, Run<Args, unknown>]) {
  return rest.length === 1 ? guarded(name, NoArguments, rest[0]) : guarded(name, ...rest);
}

/** A form action anyone may submit. */
export function serverAction<T>(name: string, run: Run<FormArgument, T>): ServerFunction<FormArgument, T> {
  return guarded(name, FormArgument, run);
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

/** What a signed-in user's function body gets: the user, then its checked arguments. */
type UserRun<TArgs extends Args, T> = (user: SignedIn, ...args: v.InferOutput<TArgs>) => T | Promise<T>;

/**
 * The guard runs after the arguments are checked and before `run`, which gets the user, so an
 * entry point for user data cannot forget it.
 */
function userGuarded<TArgs extends Args, T>(
  name: string,
  args: TArgs,
  run: UserRun<TArgs, T>,
  access: Access = {},
): ServerFunction<TArgs, T> {
  return guarded(name, args, (...parsed) => run(signedIn(access), ...parsed));
}

/** A plain server function for signed-in users. */
export function userFunction<T>(name: string, run: UserRun<NoArguments, T>, access?: Access): ServerFunction<NoArguments, T>;
export function userFunction<TArgs extends Args, T>(
  name: string,
  args: TArgs,
  run: UserRun<TArgs, T>,
  access?: Access,
): ServerFunction<TArgs, T>;
export function userFunction(name: string, ...rest: UserRest) {
  return userGuarded(name, ...userArguments(rest));
}

/** A cached loader for signed-in users. */
export function userQuery<T>(name: string, run: UserRun<NoArguments, T>, access?: Access): ServerFunction<NoArguments, T>;
export function userQuery<TArgs extends Args, T>(
  name: string,
  args: TArgs,
  run: UserRun<TArgs, T>,
  access?: Access,
): ServerFunction<TArgs, T>;
export function userQuery(name: string, ...rest: UserRest) {
  return userGuarded(name, ...userArguments(rest));
}

/** A form action for signed-in users. */
export function userAction<T>(name: string, run: UserRun<FormArgument, T>, access: Access = {}): ServerFunction<FormArgument, T> {
  return userGuarded(name, FormArgument, run, access);
}

type UserRest = [UserRun<Args, unknown>, Access?] | [Args, UserRun<Args, unknown>, Access?];

/** The overloads' arguments with the tuple filled in when there is none (a function takes nothing). */
function userArguments(rest: UserRest): [Args, UserRun<Args, unknown>, Access?] {
  return typeof rest[0] === "function"
    ? [NoArguments, rest[0], rest[1] as Access | undefined]
    : (rest as [Args, UserRun<Args, unknown>, Access?]);
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

// Any string that is not a username just finds no one; a NUL would reach Postgres as an error.
export const UsernameArgument = v.pipe(
  v.string("expected a username."),
  v.maxLength(64, "expected a username."),
  v.check((value) => !value.includes("\u0000") && !/\p{Cs}/u.test(value), "expected a username."),
);
