import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { renderSVG } from "uqr";

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export const TOTP_PERIOD_SECONDS = 30;
const DIGITS = 6;
/** GoTrue accepts the previous and the next step too, for clocks a little off. */
const SKEW_STEPS = 1;

/** Unpadded RFC 4648 base32, as authenticator apps expect it in `secret=`. */
export function base32Encode(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += base32Alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += base32Alphabet[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/=+$/, "").toUpperCase();
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of clean) {
    const index = base32Alphabet.indexOf(char);
    if (index < 0) throw new Error("secret is not base32");
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** 20 random bytes, the SHA-1 block-friendly size RFC 4226 recommends and GoTrue generates. */
export function newTotpSecret(): string {
  return base32Encode(randomBytes(20));
}

/** RFC 4226 HOTP with SHA-1, dynamic truncation, 6 digits. */
function hotp(key: Buffer, counter: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const digest = createHmac("sha1", key).update(message).digest();
  const offset = (digest[digest.length - 1] ?? 0) & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** DIGITS).padStart(DIGITS, "0");
}

export function totpCode(secret: string, atMs: number): string {
  return hotp(base32Decode(secret), Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS));
}

export function totpMatches(secret: string, code: string, atMs: number): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const key = base32Decode(secret);
  const step = Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS);
  let matched = false;
  for (let delta = -SKEW_STEPS; delta <= SKEW_STEPS; delta++) {
    // Every step is compared, so the answer time does not tell which one matched.
    if (timingSafeEqual(Buffer.from(hotp(key, step + delta)), Buffer.from(code))) matched = true;
  }
  return matched;
}

/** Escapes a label as a URL path does, leaving `:` and `@` readable, as GoTrue's URIs show them. */
function pathEscape(text: string): string {
  return encodeURIComponent(text).replace(/%(24|26|2B|2C|3A|3B|3D|40)/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** The Key URI Format authenticator apps read from the QR code. */
export function otpauthUri(issuer: string, accountName: string, secret: string): string {
  const label = pathEscape(`${issuer}:${accountName}`);
  const query = new URLSearchParams({
    algorithm: "SHA1",
    digits: String(DIGITS),
    issuer,
    period: String(TOTP_PERIOD_SECONDS),
    secret,
  });
  return `otpauth://totp/${label}?${query.toString()}`;
}

/** Raw SVG markup, as GoTrue answers it; auth-js turns it into a data URI. High error correction, as GoTrue. */
export function qrSvg(text: string): string {
  return renderSVG(text, { ecc: "H", border: 1 });
}
