import type { APIEvent } from "@solidjs/start/server";
import { isUsername } from "~/lib/domain/username";

/** The "write to" form is a GET, so it works without JavaScript; this turns it into a clean URL. */
export function GET(event: APIEvent) {
  const username = new URL(event.request.url).searchParams.get("username")?.trim().toLowerCase() ?? "";
  const location = isUsername(username) ? `/messages/direct/${username}` : "/messages/direct?unknown=1";
  return new Response(null, { status: 303, headers: { location } });
}
