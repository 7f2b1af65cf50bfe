/**
 * Manage app roles and the rls_client login through the admin connection.
 *
 *   npm run role -- grant  <email|uuid> moderator
 *   npm run role -- revoke <email|uuid> moderator
 *   npm run role -- list   moderator | <email|uuid>
 *   npm run role -- sync-db-login     (sets rls_client's password from DATABASE_URL)
 *
 * Reads ADMIN_DATABASE_URL (and DATABASE_URL for sync-db-login) from the environment, `.env`, or
 * .cache/app.env, which `npm run dev` writes for the local Supabase.
 */
import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import postgres from "postgres";
import { drizzle } from "drizzle-orm/postgres-js";
import * as schema from "../src/server/db/schema.ts";
import { rlsClientPassword, syncRlsClientPassword } from "../src/server/db/rls-client-login.ts";
import { APP_ROLES, isAppRole } from "../src/lib/domain/roles.ts";
import { changeRole, findUser, listRoleHolders } from "../src/server/db/user-roles.ts";

const usage = `usage:
  npm run role -- grant|revoke <email|uuid> ${APP_ROLES.join("|")}
  npm run role -- list ${APP_ROLES.join("|")} | <email|uuid>
  npm run role -- sync-db-login`;

function requireEnv(name: string): string {
  const value = process.env[name]?.trim();
  if (!value) throw new Error(`${name} is not set (see .env.example)`);
  return value;
}

async function syncDbLogin(): Promise<void> {
  const password = rlsClientPassword(requireEnv("DATABASE_URL"));
  const admin = postgres(requireEnv("ADMIN_DATABASE_URL"), { max: 1, onnotice: () => undefined });
  try {
    await syncRlsClientPassword(admin, password);
  } finally {
    await admin.end();
  }
  console.log("rls_client password set from DATABASE_URL");
}

async function main([command, target, roleName]: string[]): Promise<void> {
  if (command === "sync-db-login") return syncDbLogin();
  if (!command || !target) throw new Error(usage);
  const client = postgres(requireEnv("ADMIN_DATABASE_URL"), { max: 1, onnotice: () => undefined });
  const admin = drizzle({ client, schema });
  try {
    if (command === "list") {
      if (isAppRole(target)) {
        const holders = await listRoleHolders(admin, target);
        for (const holder of holders) console.log(`${holder.id}  ${holder.email ?? "(no email)"}`);
        console.log(`${holders.length} ${target}(s)`);
      } else {
        const user = await findUser(admin, target);
        console.log(`${user.id}  ${user.email ?? "(no email)"}  role: ${user.role ?? "(none)"}`);
      }
      return;
    }
    if ((command !== "grant" && command !== "revoke") || !roleName) throw new Error(usage);
    if (!isAppRole(roleName)) throw new Error(`unknown role "${roleName}" (known: ${APP_ROLES.join(", ")})`);
    const { user, changed } = await changeRole(admin, {
      action: command,
      emailOrId: target,
      role: roleName,
      actor: `cli:${userInfo().username}`,
    });
    const who = `${user.email ?? user.id}`;
    console.log(
      changed
        ? `${command === "grant" ? "granted" : "revoked"} ${roleName} ${command === "grant" ? "to" : "from"} ${who}; ` +
            "their session refreshes on their next request"
        : `${who} ${command === "grant" ? "already has" : "does not have"} ${roleName}; nothing changed`,
    );
  } finally {
    await client.end();
  }
}

// Shell variables win; then .env (a backend of your own); then what `npm run dev` wrote for the
// local Supabase. loadEnvFile never overrides a variable that is already set.
for (const file of [".env", ".cache/app.env"]) {
  if (existsSync(file)) process.loadEnvFile(file);
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
