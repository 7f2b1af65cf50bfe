import { createHmac } from "node:crypto";

/**
 * An authenticator app's side of RFC 6238, written here from the RFC rather than imported from the
 * server, so these tests hold against `supabase start` too.
 */
export function totp(secret: string, atMs = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const char of secret.replace(/=+$/, "")) bits += alphabet.indexOf(char).toString(2).padStart(5, "0");
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)));
  const digest = createHmac("sha1", key).update(counter).digest();
  const offset = (digest.at(-1) ?? 0) & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

/** A code that is certainly wrong: the current one with every digit shifted. */
export const wrongCode = (code: string) => code.replace(/\d/g, (digit) => String((Number(digit) + 5) % 10));
