import type { APIEvent } from "@solidjs/start/server";

/** The "write to" form is a GET, so it works without JavaScript; this turns it into a clean URL. */
export function GET(event: APIEvent) {
  const username = new URL(event.request.url).searchParams.get("username")?.trim().toLowerCase() ?? "";
  const location = /^[a-z0-9_]{3,32}$/.test(username) ? `/messages/direct/${username}` : "/messages/direct?unknown=1";
  return new Response(null, { status: 303, headers: { location } });
}
