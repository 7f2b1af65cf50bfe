import type { APIEvent } from "@solidjs/start/server";

export async function GET(event: APIEvent) {
  const { confirmEmailLink } = await import("~/server/auth/email-links");
  return confirmEmailLink(event);
}
