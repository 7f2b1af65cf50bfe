import { getRequestEvent } from "solid-js/web";
import { setHeader, setResponseStatus } from "vinxi/http";
import { FORBIDDEN_MESSAGE, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from "~/lib/http-status";

/**
 * A refusal or an outage, written for the user. The status goes on the response right away:
 * SolidStart answers a server function that threw an Error with whatever status the response
 * already has, and a server-rendered page that shows the error page carries it too. The error
 * itself holds only the message and the status (no stack), so it may cross the RPC boundary.
 */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: 403 | 503;

  constructor(status: 403 | 503, message: string) {
    super(message);
    this.status = status;
    this.stack = "";
    const event = getRequestEvent();
    if (!event) return;
    setResponseStatus(event.nativeEvent, status);
    setHeader(event.nativeEvent, "cache-control", "private, no-store");
    if (status === 503) setHeader(event.nativeEvent, "retry-after", String(RETRY_AFTER_SECONDS));
  }
}

export function forbidden(): HttpError {
  return new HttpError(403, FORBIDDEN_MESSAGE);
}

/** The database (or another service the request needs) cannot be reached right now. */
export function serviceUnavailable(): HttpError {
  return new HttpError(503, SERVICE_UNAVAILABLE_MESSAGE);
}
