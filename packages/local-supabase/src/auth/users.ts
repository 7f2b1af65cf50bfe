import { randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import type { JSONValue, Sql, TransactionSql } from "postgres";

export type Db = Sql | TransactionSql;

/** The auth.users columns this server reads; token columns may be NULL or '' depending on who wrote them. */
export interface UserRow {
  id: string;
  aud: string | null;
  role: string | null;
  email: string | null;
  encrypted_password: string | null;
  email_confirmed_at: Date | null;
  invited_at: Date | null;
  confirmation_token: string | null;
  confirmation_sent_at: Date | null;
  recovery_token: string | null;
  recovery_sent_at: Date | null;
  email_change_token_new: string | null;
  email_change_token_current: string | null;
  email_change: string | null;
  email_change_sent_at: Date | null;
  email_change_confirm_status: number | null;
  reauthentication_token: string | null;
  reauthentication_sent_at: Date | null;
  last_sign_in_at: Date | null;
  raw_app_meta_data: Record<string, unknown> | null;
  raw_user_meta_data: Record<string, unknown> | null;
  created_at: Date | null;
  updated_at: Date | null;
  phone: string | null;
  phone_confirmed_at: Date | null;
  confirmed_at: Date | null;
  banned_until: Date | null;
  deleted_at: Date | null;
  is_anonymous: boolean;
}

export interface IdentityRow {
  id: string;
  provider_id: string;
  user_id: string;
  identity_data: Record<string, unknown>;
  provider: string;
  last_sign_in_at: Date | null;
  created_at: Date | null;
  updated_at: Date | null;
  email: string | null;
}

/** postgres.js types json parameters narrowly; metadata objects are JSON by construction. */
export const asJson = (value: Record<string, unknown>) => value as JSONValue;

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : undefined);

function renderIdentity(row: IdentityRow) {
  return {
    identity_id: row.id,
    id: row.provider_id,
    user_id: row.user_id,
    identity_data: row.identity_data,
    provider: row.provider,
    last_sign_in_at: iso(row.last_sign_in_at),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    email: row.email ?? undefined,
  };
}

export interface FactorRow {
  id: string;
  user_id: string;
  friendly_name: string | null;
  factor_type: string;
  status: string;
  created_at: Date;
  updated_at: Date;
  secret: string | null;
  phone: string | null;
  last_challenged_at: Date | null;
}

/** A factor as GoTrue renders it; an empty friendly name is left out, the phone is "" for TOTP. */
export function renderFactor(row: FactorRow) {
  return {
    id: row.id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    status: row.status,
    friendly_name: row.friendly_name || undefined,
    factor_type: row.factor_type,
    phone: row.phone ?? "",
    last_challenged_at: row.last_challenged_at ? row.last_challenged_at.toISOString() : null,
  };
}

export async function factorsOf(db: Db, userId: string): Promise<FactorRow[]> {
  return db<FactorRow[]>`select * from auth.mfa_factors where user_id = ${userId} order by created_at, id`;
}

/**
 * The user JSON as GoTrue renders it: unset timestamps are omitted, NULL email/phone become "",
 * and `factors` is left out when there are none.
 */
export function renderUser(row: UserRow, identities: IdentityRow[], factors: FactorRow[] = []) {
  return {
    id: row.id,
    aud: row.aud ?? "",
    role: row.role ?? "",
    email: row.email ?? "",
    email_confirmed_at: iso(row.email_confirmed_at),
    invited_at: iso(row.invited_at),
    phone: row.phone ?? "",
    phone_confirmed_at: iso(row.phone_confirmed_at),
    confirmation_sent_at: iso(row.confirmation_sent_at),
    confirmed_at: iso(row.confirmed_at),
    recovery_sent_at: iso(row.recovery_sent_at),
    new_email: row.email_change || undefined,
    email_change_sent_at: iso(row.email_change_sent_at),
    last_sign_in_at: iso(row.last_sign_in_at),
    app_metadata: row.raw_app_meta_data ?? {},
    user_metadata: row.raw_user_meta_data ?? {},
    identities: identities.map(renderIdentity),
    created_at: iso(row.created_at) ?? "",
    updated_at: iso(row.updated_at) ?? "",
    banned_until: iso(row.banned_until),
    is_anonymous: row.is_anonymous,
    factors: factors.length > 0 ? factors.map(renderFactor) : undefined,
  };
}

export type RenderedUser = ReturnType<typeof renderUser>;

export async function findUserById(db: Db, id: string): Promise<UserRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await db<UserRow[]>`select * from auth.users where id = ${id}`;
  return row;
}

export async function findUserByEmail(db: Db, email: string): Promise<UserRow | undefined> {
  const [row] = await db<UserRow[]>`
    select * from auth.users where lower(email) = ${email.toLowerCase()} and is_sso_user = false
    order by created_at limit 1`;
  return row;
}

export async function identitiesOf(db: Db, userId: string): Promise<IdentityRow[]> {
  return db<IdentityRow[]>`select * from auth.identities where user_id = ${userId} order by created_at, id`;
}

export async function loadRenderedUser(db: Db, id: string): Promise<RenderedUser | undefined> {
  const row = await findUserById(db, id);
  return row ? renderUser(row, await identitiesOf(db, id), await factorsOf(db, id)) : undefined;
}

export const isBanned = (user: UserRow) => user.banned_until !== null && user.banned_until.getTime() > Date.now();
export const isEmailConfirmed = (user: UserRow) => user.email_confirmed_at !== null;

/** Cost 10 is what GoTrue uses; `crypt(..., gen_salt('bf'))` hashes from seeds verify the same way. */
export const hashPassword = (password: string) => bcrypt.hash(password, 10);

export async function passwordMatches(user: UserRow, password: string): Promise<boolean> {
  if (!user.encrypted_password) return false;
  try {
    return await bcrypt.compare(password, user.encrypted_password);
  } catch {
    return false;
  }
}

export interface NewUser {
  email: string;
  password?: string;
  userMetadata?: Record<string, unknown>;
  appMetadata?: Record<string, unknown>;
  confirmed: boolean;
  provider: string;
  identityData?: Record<string, unknown>;
  providerId?: string;
  invited?: boolean;
}

/** Inserts the user and its identity, as GoTrue's signup does. */
export async function createUser(db: Db, input: NewUser): Promise<UserRow> {
  const id = randomUUID();
  const encrypted = input.password ? await hashPassword(input.password) : "";
  const appMetadata = { ...(input.appMetadata ?? {}), provider: input.provider, providers: [input.provider] };
  const [row] = await db<UserRow[]>`
    insert into auth.users (
      instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, invited_at,
      raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
      confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current)
    values (
      ${NIL_UUID}, ${id}, 'authenticated', 'authenticated', ${input.email.toLowerCase()}, ${encrypted},
      ${input.confirmed ? new Date() : null}, ${input.invited ? new Date() : null},
      ${db.json(asJson(appMetadata))}, ${db.json(asJson(input.userMetadata ?? {}))}, now(), now(),
      '', '', '', '', '')
    returning *`;
  const identityData = {
    sub: id,
    email: input.email.toLowerCase(),
    email_verified: input.confirmed,
    phone_verified: false,
    ...(input.identityData ?? {}),
  };
  await db`
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    values (${input.providerId ?? id}, ${id}, ${db.json(asJson(identityData))}, ${input.provider}, now(), now(), now())`;
  return row as UserRow;
}

/** GoTrue's anonymous user: no address, no identity, empty app_metadata, `is_anonymous`. */
export async function createAnonymousUser(db: Db, userMetadata: Record<string, unknown>): Promise<UserRow> {
  const [row] = await db<UserRow[]>`
    insert into auth.users (
      instance_id, id, aud, role, encrypted_password, raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
      confirmation_token, recovery_token, email_change_token_new, email_change, email_change_token_current, is_anonymous)
    values (
      ${NIL_UUID}, ${randomUUID()}, 'authenticated', 'authenticated', '', '{}'::jsonb,
      ${db.json(asJson(userMetadata))}, now(), now(), '', '', '', '', '', true)
    returning *`;
  return row as UserRow;
}

/**
 * An anonymous user's first confirmed address: GoTrue creates the email identity then and the
 * user stops being anonymous.
 */
export async function becomePermanent(db: Db, userId: string, email: string): Promise<void> {
  await db`
    insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
    select ${userId}, ${userId}, ${db.json(asJson({ sub: userId, email, email_verified: true, phone_verified: false }))},
           'email', now(), now(), now()
    where not exists (select 1 from auth.identities where user_id = ${userId} and provider = 'email')`;
  await db`update auth.users set is_anonymous = false, updated_at = now() where id = ${userId}`;
  await syncProviders(db, userId);
}

/** GoTrue keeps `provider` (the first one) and `providers` (all linked) in app_metadata in sync with identities. */
export async function syncProviders(db: Db, userId: string): Promise<void> {
  await db`
    update auth.users u set raw_app_meta_data =
      coalesce(u.raw_app_meta_data, '{}'::jsonb)
      || jsonb_build_object(
           'provider', coalesce(u.raw_app_meta_data ->> 'provider',
                                (select provider from auth.identities where user_id = u.id order by created_at limit 1),
                                'email'),
           'providers', coalesce((select jsonb_agg(distinct provider) from auth.identities where user_id = u.id),
                                 '["email"]'::jsonb))
    where u.id = ${userId}`;
}

export async function confirmEmail(db: Db, userId: string): Promise<void> {
  await db`
    update auth.users set email_confirmed_at = coalesce(email_confirmed_at, now()),
      confirmation_token = '', updated_at = now()
    where id = ${userId}`;
  await db`
    update auth.identities set identity_data = identity_data || '{"email_verified": true}'::jsonb
    where user_id = ${userId} and provider = 'email'`;
  await db`delete from auth.one_time_tokens where user_id = ${userId} and token_type = 'confirmation_token'`;
}
