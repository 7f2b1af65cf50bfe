import * as v from "valibot";
import type { AuthContext } from "./context.ts";
import { badRequest, notFound, unprocessable } from "./errors.ts";
import { type AuthRequest, json, type Reply, readBodyAs } from "./http.ts";
import { verifyUrl } from "./mail.ts";
import { isRedirectAllowed, redirectTarget } from "./redirects.ts";
import { parseDuration } from "./rate-limit.ts";
import {
  asJson,
  confirmEmail,
  createUser,
  type Db,
  findUserByEmail,
  findUserById,
  hashPassword,
  type IdentityRow,
  loadRenderedUser,
  renderUser,
  type UserRow,
} from "./users.ts";
import { metadata, mergeMetadata, normaliseEmail, optionalString } from "./validation.ts";
import { sendEmailChange, sendUserToken } from "./verification.ts";

const emailTaken = () => unprocessable("email_exists", "A user with this email address has already been registered");
const userNotFound = () => notFound("user_not_found", "User not found");

const CreateUserBody = v.object({
  email: optionalString,
  phone: optionalString,
  password: optionalString,
  email_confirm: v.optional(v.nullable(v.boolean())),
  user_metadata: metadata,
  app_metadata: metadata,
  role: optionalString,
  ban_duration: optionalString,
});

/** "none" lifts a ban; otherwise a Go duration such as "24h". */
function bannedUntil(duration: string): Date | null {
  if (duration === "none") return null;
  const ms = parseDuration(duration);
  if (ms <= 0) throw badRequest("validation_failed", "invalid format for ban duration");
  return new Date(Date.now() + ms);
}

async function applyAdminFields(db: Db, user: UserRow, body: v.InferOutput<typeof CreateUserBody>): Promise<void> {
  if (body.password) {
    await db`update auth.users set encrypted_password = ${await hashPassword(body.password)} where id = ${user.id}`;
  }
  if (body.user_metadata) {
    const merged = mergeMetadata(user.raw_user_meta_data, body.user_metadata);
    await db`update auth.users set raw_user_meta_data = ${db.json(asJson(merged))} where id = ${user.id}`;
  }
  if (body.app_metadata) {
    const [current] = await db<{ raw_app_meta_data: Record<string, unknown> | null }[]>`
      select raw_app_meta_data from auth.users where id = ${user.id}`;
    const merged = mergeMetadata(current?.raw_app_meta_data ?? null, body.app_metadata);
    await db`update auth.users set raw_app_meta_data = ${db.json(asJson(merged))} where id = ${user.id}`;
  }
  if (body.role) await db`update auth.users set role = ${body.role} where id = ${user.id}`;
  if (body.ban_duration) {
    await db`update auth.users set banned_until = ${bannedUntil(body.ban_duration)} where id = ${user.id}`;
  }
  if (body.email_confirm) await confirmEmail(db, user.id);
  await db`update auth.users set updated_at = now() where id = ${user.id}`;
}

export async function adminCreateUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, CreateUserBody);
  if (body.phone && !body.email) throw unprocessable("phone_provider_disabled", "Phone users are not supported");
  if (!body.email) throw badRequest("validation_failed", "Unable to validate email address: invalid format");
  const email = normaliseEmail(body.email);
  return context.sql.begin(async (tx) => {
    if (await findUserByEmail(tx, email)) throw emailTaken();
    const user = await createUser(tx, { email, confirmed: false, provider: "email" });
    await applyAdminFields(tx, user, { ...body, user_metadata: body.user_metadata ?? {}, app_metadata: body.app_metadata });
    return json(await loadRenderedUser(tx, user.id));
  });
}

const UINT64_MAX = 2n ** 64n - 1n;

/**
 * GoTrue reads page / per_page as unsigned 64-bit decimals and refuses anything else with its
 * parser's message; it sets no upper bound. Past 2^53 no table is that big, so the value is
 * clamped only where it reaches SQL, which changes no answer.
 */
function paginationParameter(text: string | null, fallback: number): number {
  if (text === null || text === "") return fallback;
  const quoted = JSON.stringify(text);
  if (!/^[0-9]+$/.test(text)) {
    throw badRequest("validation_failed", `Bad Pagination Parameters: strconv.ParseUint: parsing ${quoted}: invalid syntax`);
  }
  const value = BigInt(text);
  if (value > UINT64_MAX) {
    throw badRequest("validation_failed", `Bad Pagination Parameters: strconv.ParseUint: parsing ${quoted}: value out of range`);
  }
  return Number(value > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : value);
}

export async function adminListUsers(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const page = Math.max(1, paginationParameter(request.url.searchParams.get("page"), 1));
  const perPage = paginationParameter(request.url.searchParams.get("per_page"), 50);
  // GoTrue divides by a zero per_page and crashes; a clear 400 keeps its message instead.
  if (perPage === 0) throw badRequest("validation_failed", "Bad Pagination Parameters: per_page must be greater than 0");
  const [{ total } = { total: 0 }] = await context.sql<{ total: number }[]>`
    select count(*)::int as total from auth.users`;
  const rows = await context.sql<UserRow[]>`
    select * from auth.users order by created_at desc, id limit ${perPage} offset ${Math.min((page - 1) * perPage, Number.MAX_SAFE_INTEGER)}`;
  const ids = rows.map((row) => row.id);
  const identities = ids.length
    ? await context.sql<IdentityRow[]>`
        select * from auth.identities where user_id in ${context.sql(ids)} order by created_at, id`
    : [];
  const users = rows.map((row) =>
    renderUser(
      row,
      identities.filter((identity) => identity.user_id === row.id),
    ),
  );
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const links = [`</admin/users?page=${lastPage}&per_page=${perPage}>; rel="last"`];
  if (page < lastPage) links.unshift(`</admin/users?page=${page + 1}&per_page=${perPage}>; rel="next"`);
  return json({ users, aud: "authenticated" }, 200, { "x-total-count": String(total), link: links.join(", ") });
}

const userId = (request: AuthRequest) => decodeURIComponent(request.path.split("/")[3] ?? "");

export async function adminGetUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const user = await loadRenderedUser(context.sql, userId(request));
  if (!user) throw userNotFound();
  return json(user);
}

export async function adminUpdateUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, CreateUserBody);
  return context.sql.begin(async (tx) => {
    const user = await findUserById(tx, userId(request));
    if (!user) throw userNotFound();
    if (body.email) {
      const email = normaliseEmail(body.email);
      const taken = await findUserByEmail(tx, email);
      if (taken && taken.id !== user.id) throw emailTaken();
      await tx`update auth.users set email = ${email} where id = ${user.id}`;
      await tx`update auth.identities set identity_data = identity_data || jsonb_build_object('email', ${email}::text)
               where user_id = ${user.id} and provider = 'email'`;
    }
    await applyAdminFields(tx, user, body);
    return json(await loadRenderedUser(tx, user.id));
  });
}

export async function adminDeleteUser(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const user = await findUserById(context.sql, userId(request));
  if (!user) throw userNotFound();
  await context.sql`delete from auth.users where id = ${user.id}`;
  return json({});
}

const GenerateLinkBody = v.object({
  type: v.picklist(["signup", "invite", "magiclink", "recovery", "email_change_current", "email_change_new"]),
  email: v.string(),
  new_email: optionalString,
  password: optionalString,
  data: metadata,
  redirect_to: optionalString,
});

/** Creates the same token a mail would carry, and returns it instead of sending. */
export async function adminGenerateLink(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, GenerateLinkBody);
  const email = normaliseEmail(body.email);
  const redirectTo =
    body.redirect_to && isRedirectAllowed(context.config, body.redirect_to) ? body.redirect_to : context.config.auth.site_url;
  return context.sql.begin(async (tx) => {
    let user = await findUserByEmail(tx, email);
    let mailType: "signup" | "invite" | "magiclink" | "recovery" | "email_change";
    let issued: { hashedToken: string; otp: string };
    switch (body.type) {
      case "signup":
      case "invite": {
        if (user && (body.type === "signup" || user.email_confirmed_at)) throw emailTaken();
        if (body.type === "signup" && !body.password) {
          throw badRequest("validation_failed", "Password is required for a signup link");
        }
        user ??= await createUser(tx, {
          email,
          password: body.password ?? undefined,
          userMetadata: body.data ?? {},
          confirmed: false,
          provider: "email",
          invited: body.type === "invite",
        });
        mailType = body.type;
        issued = await sendUserToken(tx, context, user, body.type, { redirectTo, silent: true });
        break;
      }
      case "magiclink":
      case "recovery": {
        if (!user) throw userNotFound();
        mailType = body.type;
        issued = await sendUserToken(tx, context, user, body.type, { redirectTo, silent: true });
        break;
      }
      default: {
        if (!user) throw userNotFound();
        if (!body.new_email) throw badRequest("validation_failed", "The new email address is required");
        const newEmail = normaliseEmail(body.new_email);
        if (await findUserByEmail(tx, newEmail)) throw emailTaken();
        mailType = "email_change";
        issued = await sendEmailChange(tx, context, user, newEmail, { redirectTo, silent: true });
      }
    }
    const rendered = await loadRenderedUser(tx, user.id);
    return json({
      ...rendered,
      action_link: verifyUrl(context.issuer, {
        to: email,
        type: mailType,
        tokenHash: issued.hashedToken,
        otp: issued.otp,
        redirectTo,
      }),
      email_otp: issued.otp,
      hashed_token: issued.hashedToken,
      redirect_to: redirectTo,
      verification_type: mailType,
    });
  });
}

const InviteBody = v.object({ email: v.string(), data: metadata });

export async function invite(request: AuthRequest, context: AuthContext): Promise<Reply> {
  const body = await readBodyAs(request, InviteBody);
  const email = normaliseEmail(body.email);
  return context.sql.begin(async (tx) => {
    const existing = await findUserByEmail(tx, email);
    if (existing?.email_confirmed_at) throw emailTaken();
    const user =
      existing ??
      (await createUser(tx, { email, userMetadata: body.data ?? {}, confirmed: false, provider: "email", invited: true }));
    await sendUserToken(tx, context, user, "invite", { redirectTo: redirectTarget(context.config, request) });
    return json(await loadRenderedUser(tx, user.id));
  });
}
