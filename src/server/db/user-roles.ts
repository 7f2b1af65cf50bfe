import { sql } from "drizzle-orm";
import { UUID_PATTERN } from "../../lib/domain/ids";
import { type AppRole, ROLE_CLAIM } from "../../lib/domain/roles";
import type { AdminDatabase } from "./client";
import { adminAuditLog } from "./schema";

export interface RoleHolder {
  id: string;
  email: string | null;
  role: string | null;
}

export async function findUser(admin: AdminDatabase, emailOrId: string): Promise<RoleHolder> {
  const byId = UUID_PATTERN.test(emailOrId);
  const rows = await admin.execute<{ id: string; email: string | null; role: string | null }>(sql`
    select id, email, raw_app_meta_data ->> ${ROLE_CLAIM}::text as role
      from auth.users
     where ${byId ? sql`id = ${emailOrId}::uuid` : sql`lower(email) = lower(${emailOrId})`}`);
  const [user] = rows;
  if (!user) throw new Error(`no user with ${byId ? "id" : "email"} ${emailOrId}`);
  return { id: user.id, email: user.email, role: user.role };
}

export async function listRoleHolders(admin: AdminDatabase, role: AppRole): Promise<RoleHolder[]> {
  const rows = await admin.execute<{ id: string; email: string | null; role: string }>(sql`
    select id, email, raw_app_meta_data ->> ${ROLE_CLAIM}::text as role
      from auth.users
     where raw_app_meta_data ->> ${ROLE_CLAIM}::text = ${role}
     order by email`);
  return rows.map((row) => ({ id: row.id, email: row.email, role: row.role }));
}

export interface RoleChange {
  user: RoleHolder;
  changed: boolean;
}

/**
 * Grants or revokes a role and records it in the audit log, in one transaction. The change lands
 * in auth.users.raw_app_meta_data; the user's current token still carries the old claims, which
 * `public.claims_are_stale()` detects so the middleware refreshes their session on their next
 * request (ADR 0014).
 */
export async function changeRole(
  admin: AdminDatabase,
  change: { action: "grant" | "revoke"; emailOrId: string; role: AppRole; actor: string },
): Promise<RoleChange> {
  return admin.transaction(async (tx) => {
    const user = await findUser(tx, change.emailOrId);
    const has = user.role === change.role;
    if (change.action === "grant" ? has : !has) return { user, changed: false };
    if (change.action === "grant") {
      await tx.execute(sql`select public.set_claim(${user.id}::uuid, ${ROLE_CLAIM}::text, to_jsonb(${change.role}::text))`);
    } else {
      await tx.execute(sql`select public.delete_claim(${user.id}::uuid, ${ROLE_CLAIM}::text)`);
    }
    await tx.insert(adminAuditLog).values({
      actor: change.actor,
      action: `role.${change.action}`,
      targetUserId: user.id,
      details: { role: change.role, previousRole: user.role, email: user.email },
    });
    return {
      user: { ...user, role: change.action === "grant" ? change.role : null },
      changed: true,
    };
  });
}
