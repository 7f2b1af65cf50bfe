import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import * as v from "valibot";

/**
 * Signing key and API keys live in the state folder, so tokens and the app's configured keys stay
 * valid across restarts; deleting the folder (a reset) rotates them all.
 */
export interface AuthKeys {
  kid: string;
  privateKey: CryptoKey;
  /** Public JWK as published in the JWKS. */
  publicJwk: JWK;
  publicKey: CryptoKey;
  publishableKey: string;
  secretKey: string;
}

const KeyFile = v.object({
  kid: v.string(),
  privateJwk: v.record(v.string(), v.unknown()),
  publicJwk: v.record(v.string(), v.unknown()),
  publishableKey: v.pipe(v.string(), v.startsWith("sb_publishable_")),
  secretKey: v.pipe(v.string(), v.startsWith("sb_secret_")),
});

export const KEY_FILE_NAME = "auth-keys.json";

const apiKey = (prefix: string) => `${prefix}${randomBytes(24).toString("base64url")}`;

async function createKeyFile(): Promise<v.InferOutput<typeof KeyFile>> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: "ES256" },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256" },
    publishableKey: apiKey("sb_publishable_"),
    secretKey: apiKey("sb_secret_"),
  };
}

export async function loadOrCreateKeys(stateDir: string): Promise<AuthKeys> {
  const file = join(stateDir, KEY_FILE_NAME);
  let stored: v.InferOutput<typeof KeyFile>;
  if (existsSync(file)) {
    const parsed = v.safeParse(KeyFile, JSON.parse(await readFile(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a valid key file; delete it to generate new keys`);
    stored = parsed.output;
  } else {
    stored = await createKeyFile();
    await mkdir(stateDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  }
  const privateKey = (await importJWK(stored.privateJwk as JWK, "ES256")) as CryptoKey;
  const publicKey = (await importJWK(stored.publicJwk as JWK, "ES256")) as CryptoKey;
  const { kty, crv, x, y } = stored.publicJwk as JWK;
  return {
    kid: stored.kid,
    privateKey,
    publicKey,
    publicJwk: { kty, crv, x, y, kid: stored.kid, alg: "ES256", use: "sig", key_ops: ["verify"] },
    publishableKey: stored.publishableKey,
    secretKey: stored.secretKey,
  };
}

export function jwks(keys: AuthKeys): { keys: JWK[] } {
  return { keys: [keys.publicJwk] };
}
