import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import type { Sql } from "postgres";

/** The login role of DATABASE_URL, created (without a password) by a migration. */
export const RLS_CLIENT_ROLE = "rls_client";

/**
 * The password of the rls_client login in DATABASE_URL. Supavisor spells the user
 * `rls_client.<project-ref>`, which is accepted too.
 */
export function rlsClientPassword(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const user = decodeURIComponent(url.username);
  if (user !== RLS_CLIENT_ROLE && !user.startsWith(`${RLS_CLIENT_ROLE}.`)) {
    throw new Error(`DATABASE_URL must log in as ${RLS_CLIENT_ROLE}, not "${user}"`);
  }
  const password = decodeURIComponent(url.password);
  // Postgres normalises passwords with SASLprep before hashing; printable ASCII is left as is, so
  // the verifier computed below matches what the server would compute.
  if (!/^[\x21-\x7e]{12,}$/.test(password)) {
    throw new Error("the rls_client password in DATABASE_URL must be at least 12 printable ASCII characters");
  }
  return password;
}

/** A SCRAM-SHA-256 verifier in Postgres' format, as psql's \password builds it. */
export function scramSha256Verifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const salted = pbkdf2Sync(password, salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * Gives rls_client the password from configuration, through the admin connection. Idempotent:
 * run it whenever the database may have been (re)created. Only a verifier is sent, so the
 * password never appears in the server's statement log. ALTER ROLE takes no bind parameters; the
 * verifier's alphabet (base64, `$`, `:`) cannot close the literal it is placed in.
 */
export async function syncRlsClientPassword(admin: Sql, password: string): Promise<void> {
  const verifier = scramSha256Verifier(password);
  if (!/^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/.test(verifier)) {
    throw new Error("unexpected SCRAM verifier format");
  }
  await admin.begin(async (tx) => {
    // Roles are cluster-wide: two processes setting it at once would hit "tuple concurrently updated".
    await tx`select pg_advisory_xact_lock(hashtext('rls_client password'))`;
    await tx.unsafe(`alter role ${RLS_CLIENT_ROLE} with password '${verifier}'`);
  });
}
