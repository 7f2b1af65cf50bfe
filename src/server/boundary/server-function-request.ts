import type { ServerResponse } from "node:http";
import type { FetchEvent } from "@solidjs/start/server";
import { crossSerialize, fromJSON, getCrossReferenceHeader, toCrossJSON } from "seroval";
import { sameOriginReferer } from "~/server/security/same-origin";
import { isSecretField } from "./secret-fields";
import { SEROVAL_OPTIONS } from "./serialization-settings";

/**
 * The largest request body the app reads. Its forms are a few fields (a message is at most 2000
 * characters, under 24 KB even percent-encoded) and its RPC arguments are cursors and id lists.
 */
export const MAX_BODY_BYTES = 64 * 1024;

const FORM_TYPES = ["multipart/form-data", "application/x-www-form-urlencoded"];

/** SolidStart's wire format for one value: `;0x` + its byte length as 8 hex digits + `;` + the data. */
function chunk(data: string): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(data);
  const head = new TextEncoder().encode(`;0x${bytes.length.toString(16).padStart(8, "0")};`);
  const body = new Uint8Array(head.length + bytes.length);
  body.set(head);
  body.set(bytes, head.length);
  return body;
}

/**
 * A refusal as the caller can read it: plain text for a browser without JavaScript; for SolidStart's
 * client an Error in the body of a response marked X-Error, which it throws, so the caller's
 * `submission.error` is an Error with this exact message. The body is encoded as SolidStart encodes
 * its own answers (JavaScript for seroval's "js" mode, its default, or JSON nodes).
 */
function refuse(status: number, message: string, instance: string | null): Response {
  const headers = { "cache-control": "private, no-store" };
  if (instance === null) {
    return new Response(message, { status, headers: { ...headers, "content-type": "text/plain; charset=utf-8" } });
  }
  const error = new Error(message);
  error.stack = "";
  const serialized = { ...headers, "x-error": "true", "x-serialized": "true" };
  if (import.meta.env.SEROVAL_MODE === "js") {
    const code = `(${getCrossReferenceHeader(instance)},${crossSerialize(error, { ...SEROVAL_OPTIONS, scopeId: instance })})`;
    return new Response(chunk(code), { status, headers: { ...serialized, "content-type": "text/javascript" } });
  }
  return new Response(chunk(JSON.stringify(toCrossJSON(error, SEROVAL_OPTIONS))), { status, headers: serialized });
}

/**
 * Past MAX_BODY_BYTES a body is still read (and thrown away) up to this, so the client, which is
 * still sending, gets to read the 413 instead of a reset connection; beyond it the connection goes.
 */
const MAX_DRAINED_BYTES = 16 * 1024 * 1024;

/** The body, or null when it exceeds the limit. */
async function readBounded(request: Request): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_DRAINED_BYTES) {
    await request.body?.cancel();
    return null;
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_DRAINED_BYTES) {
      await reader.cancel();
      return null;
    }
    if (size <= MAX_BODY_BYTES) chunks.push(value);
  }
  if (size > MAX_BODY_BYTES) return null;
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** SolidStart spreads the decoded arguments into the call: anything but an array throws there. */
function serializedArguments(text: string): boolean {
  try {
    return Array.isArray(fromJSON(JSON.parse(text), SEROVAL_OPTIONS));
  } catch {
    return false;
  }
}

/**
 * SolidStart copies a thrown error's message into the X-Error response header; Node refuses a
 * header value outside Latin-1 (an en dash), so the response became a 500. Its client only checks
 * that X-Error is present and reads the error from the body, so the header says "true" and
 * nothing else: no message, no internal text, whatever the error held.
 */
function errorHeaderCarriesNoText(response: ServerResponse): void {
  const setHeader = response.setHeader.bind(response);
  response.setHeader = (name, value) => setHeader(name, name.toLowerCase() === "x-error" ? "true" : value);
}

/**
 * Checks a /_server request before SolidStart's handler reads it: that handler decodes the body,
 * the X-Server-Id header and the `args` parameter outside any error handling, and builds a no-JS
 * answer from the Referer, so a malformed request there is a 500 with the framework's error text.
 * Here every such request gets a 4xx with a message saying what is wrong, and the handler is given
 * a request it cannot trip over: the body read once (bounded), a Referer only when it is this
 * origin's, single-flight only when there is a page to render.
 */
export async function guardServerFunctionRequest(event: FetchEvent): Promise<Response | undefined> {
  const request = event.request;
  const url = new URL(request.url);
  const instance = request.headers.get("x-server-instance");
  const withJs = instance !== null;
  const method = request.method;

  const reference = request.headers.get("x-server-id");
  let functionId: string | null;
  if (reference !== null) {
    try {
      functionId = decodeURIComponent(reference).split("#")[0] ?? "";
    } catch {
      return refuse(400, "The X-Server-Id header is not a valid server function reference.", instance);
    }
  } else {
    functionId = url.searchParams.get("id");
  }
  // SolidStart looks the id up in a plain object: "constructor" or "__proto__" would find
  // Object.prototype's members instead of a server function.
  if (functionId !== null && functionId in Object.prototype) return refuse(404, "No such server function.", instance);

  if (method !== "GET" && method !== "POST") {
    return refuse(405, "Server functions take GET (with JavaScript) or POST.", instance);
  }
  const contentType = request.headers.get("content-type") ?? "";
  const isForm = FORM_TYPES.some((type) => contentType.startsWith(type));
  const serialized = request.headers.has("x-serialized");
  if (!withJs && (method !== "POST" || !isForm || serialized)) {
    return refuse(400, "A form post without JavaScript must be a POST of an HTML form (urlencoded or multipart).", instance);
  }

  const referer = sameOriginReferer(request, url)?.toString() ?? null;
  if (!withJs && !referer) {
    return refuse(
      400,
      "This form was sent without a Referer header from this site, so its result has no page to go back to. " +
        "Allow your browser to send the Referer to this site, or use the page with JavaScript.",
      instance,
    );
  }

  const args = url.searchParams.get("args");
  if (args !== null && (!withJs || method === "GET") && !serializedArguments(args)) {
    return refuse(400, "The args parameter is not a serialized argument list.", instance);
  }

  let body: Uint8Array<ArrayBuffer> | undefined;
  if (method === "POST") {
    const read = await readBounded(request);
    if (!read) return refuse(413, `The request body is larger than the ${MAX_BODY_BYTES / 1024} KB this app accepts.`, instance);
    body = read;
    if (serialized) {
      if (!serializedArguments(new TextDecoder().decode(body))) {
        return refuse(400, "The body is not a serialized argument list (x-serialized).", instance);
      }
    } else if (isForm) {
      try {
        await new Request(url, { method: "POST", headers: { "content-type": contentType }, body }).formData();
      } catch {
        return refuse(400, "The body is not a valid form (check the content type and its boundary).", instance);
      }
    } else if (contentType.startsWith("application/json")) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder().decode(body));
      } catch {
        return refuse(400, "The body is not valid JSON.", instance);
      }
      if (!Array.isArray(parsed)) return refuse(400, "A JSON body must be the array of the function's arguments.", instance);
    }
  }

  const headers = new Headers(request.headers);
  if (referer) headers.set("referer", referer);
  else {
    headers.delete("referer");
    // Single-flight renders the referring page's data; without that page there is nothing to render.
    headers.delete("x-single-flight");
  }
  // SolidStart's handler reads this same FetchEvent's request (the event is cached per request).
  event.request = new Request(request.url, { method, headers, body, signal: request.signal });
  errorHeaderCarriesNoText(event.nativeEvent.node.res);
  return undefined;
}

interface Flash {
  input?: unknown[];
  [key: string]: unknown;
}

/** Browsers drop larger cookies; the flash then would not show the form's result at all. */
const MAX_FLASH_BYTES = 4000;

function scrubFlash(cookie: string): string {
  const end = cookie.indexOf(";");
  const value = cookie.slice("flash=".length, end === -1 ? undefined : end);
  let flash: Flash;
  try {
    flash = JSON.parse(decodeURIComponent(value)) as Flash;
  } catch {
    return "flash=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Lax";
  }
  if (Array.isArray(flash.input)) {
    flash.input = flash.input.map((entries) =>
      Array.isArray(entries)
        ? entries.filter((entry) => !(Array.isArray(entry) && typeof entry[0] === "string" && isSecretField(entry[0])))
        : entries,
    );
  }
  let encoded = encodeURIComponent(JSON.stringify(flash));
  if (encoded.length > MAX_FLASH_BYTES && Array.isArray(flash.input)) {
    flash.input = flash.input.map((entries) => (Array.isArray(entries) ? [] : entries));
    encoded = encodeURIComponent(JSON.stringify(flash));
  }
  return `flash=${encoded}; Path=/; Secure; HttpOnly; SameSite=Lax`;
}

/**
 * A no-JS form's result travels to the next page in SolidStart's `flash` cookie, which also holds
 * every submitted field. Secret fields (see secret-fields.ts) are taken out before it is sent.
 */
export function scrubServerFunctionResponse(body: unknown): void {
  if (!(body instanceof Response)) return;
  const cookies = body.headers.getSetCookie();
  if (!cookies.some((cookie) => cookie.startsWith("flash="))) return;
  body.headers.delete("set-cookie");
  for (const cookie of cookies) body.headers.append("set-cookie", cookie.startsWith("flash=") ? scrubFlash(cookie) : cookie);
}
