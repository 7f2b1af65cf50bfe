import type { APIEvent } from "@solidjs/start/server";

export async function GET(event: APIEvent) {
  const { exchangeAuthCode } = await import("~/server/auth/email-links");
  return exchangeAuthCode(event);
}
