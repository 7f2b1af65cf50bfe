import { randomUUID } from "node:crypto";
import { decodeJwt } from "jose";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { flashOf } from "../fixtures/auth-flows.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { callServerFunction, exposedText, leaksIn, useServerFunctions } from "../fixtures/server-functions.ts";
import { readSession, sessionCookieName, signWithBackendKey, writeSession } from "../fixtures/session-tokens.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const PASSWORD = "boundary-password-1";
const sql = postgres(inject("appDatabaseUrl"), { max: 1, onnotice: () => undefined });
afterAll(() => sql.end());

const fn = useServerFunctions();

async function signedIn(page = "/account"): Promise<AppClient> {
  const email = uniqueEmail("boundary");
  await createConfirmedUser(email, PASSWORD);
  const client = new AppClient();
  await client.signIn(email, PASSWORD, page);
  return client;
}

function errorMessage(value: unknown): string {
  if (!(value instanceof Error)) throw new Error(`not an Error: ${JSON.stringify(value)}`);
  return value.message;
}

describe("secrets never travel back (issue 11, item 1)", () => {
  function cookiesAndLocation(response: Response): string {
    const text = [...response.headers.getSetCookie(), response.headers.get("location") ?? ""].join("\n");
    return `${text}\n${decodeURIComponent(text)}`;
  }

  it("a failed no-JS sign-in: the flash cookie keeps the email for the page, never the password", async () => {
    const email = uniqueEmail("flash");
    await createConfirmedUser(email, PASSWORD);
    const typed = "Wrong-Secret-Typed-9";
    const response = await new AppClient().submit("/login", "signIn", { email, password: typed, next: "/" });
    expect(flashOf(response)).toMatchObject({ error: true, result: "Invalid email or password." });
    expect(cookiesAndLocation(response)).toContain(email);
    expect(cookiesAndLocation(response)).not.toContain(typed);
  });

  it("a refused no-JS sign-up and a refused password change carry neither password nor confirmation", async () => {
    const short = "Sh0rt!";
    const signUp = await new AppClient().submit("/signup", "signUp", {
      email: uniqueEmail("signup"),
      password: short,
      next: "/",
    });
    expect(flashOf(signUp)).toMatchObject({ error: true, result: "Use at least 8 characters." });
    expect(cookiesAndLocation(signUp)).not.toContain(short);

    const client = await signedIn("/account/update-password");
    const first = "First-New-Password-1";
    const second = "Second-New-Password-2";
    const change = await client.submit("/account/update-password", "updatePassword", { password: first, confirm: second });
    expect(flashOf(change)).toMatchObject({ error: true, result: "The passwords do not match." });
    expect(cookiesAndLocation(change)).not.toContain(first);
    expect(cookiesAndLocation(change)).not.toContain(second);
  });
});

describe("wrong argument shapes (issue 11, item 2)", () => {
  it("a JSON object where a function takes an argument list: 400 with a message, no stack or path", async () => {
    const client = await signedIn();
    const call = await callServerFunction(client, fn("getAccount"), { raw: '{"a":1}', contentType: "application/json" });
    expect(call.response.status).toBe(400);
    expect(errorMessage(call.value)).toBe("A JSON body must be the array of the function's arguments.");
    expect(leaksIn(exposedText(call.response, call.bytes))).toEqual([]);
  });

  it("an object where getFeed expects a cursor, a string where signIn expects its form: 400 naming what was expected", async () => {
    const client = await signedIn();
    const feed = await callServerFunction(client, fn("getFeed"), { raw: '[{"foo":1}]', contentType: "application/json" });
    expect(feed.response.status).toBe(400);
    expect(errorMessage(feed.value)).toMatch(/^Bad request to getFeed: expected (null or a feed cursor|a timestamp)/);
    expect(leaksIn(exposedText(feed.response, feed.bytes))).toEqual([]);

    const signIn = await callServerFunction(new AppClient(), fn("signIn"), { args: ["alice@example.com"] });
    expect(signIn.response.status).toBe(400);
    expect(errorMessage(signIn.value)).toBe("Bad request to signIn: expected the fields of its form (FormData).");
    expect(leaksIn(exposedText(signIn.response, signIn.bytes))).toEqual([]);
  });

  it("a garbage body marked x-serialized: 400, not the framework's TypeError", async () => {
    const call = await callServerFunction(
      new AppClient(),
      fn("getCurrentUser"),
      {
        raw: '{"t":999,"i":0}',
        contentType: "text/plain",
      },
      { "x-serialized": "true" },
    );
    expect(call.response.status).toBe(400);
    expect(errorMessage(call.value)).toBe("The body is not a serialized argument list (x-serialized).");
    expect(leaksIn(exposedText(call.response, call.bytes))).toEqual([]);
  });
});

describe("user messages reach the user exactly (issue 11, item 3)", () => {
  it("with JavaScript, a refused username answers its message (en dash and all), not a 500", async () => {
    const client = await signedIn();
    const form = new FormData();
    form.set("username", "ab");
    const call = await callServerFunction(client, fn("updateUsername"), { form }, { referer: `${client.base}/account` });
    expect(call.response.status).toBe(200);
    expect(call.response.headers.get("x-error")).toBe("true");
    expect(errorMessage(call.value)).toBe("Use 3 to 32 lowercase letters, digits or underscores.");
  });
});

describe("malformed requests get a 4xx that says why (issue 11, item 4)", () => {
  it("malformed JSON to /_server: 400", async () => {
    const call = await callServerFunction(new AppClient(), fn("getCurrentUser"), { raw: "[1,", contentType: "application/json" });
    expect(call.response.status).toBe(400);
    expect(errorMessage(call.value)).toBe("The body is not valid JSON.");
  });

  it("a no-JS form post without a Referer: 400 explaining that the Referer is needed", async () => {
    const client = new AppClient();
    const action = await client.actionUrl("/login", "signIn");
    const response = await client.request(action, {
      method: "POST",
      headers: { origin: client.base, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "nobody@example.com", password: "whatever-1", next: "/" }).toString(),
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/without a Referer header/);
  });

  it("a body over the limit: 413", async () => {
    const call = await callServerFunction(new AppClient(), fn("getCurrentUser"), {
      raw: JSON.stringify(["x".repeat(1024 * 1024)]),
      contentType: "application/json",
    });
    expect(call.response.status).toBe(413);
    expect(errorMessage(call.value)).toMatch(/larger than the 64 KB/);
  });

  it("a validly signed token whose sub is not a uuid: signed out on pages and server functions, never a 500", async () => {
    const client = await signedIn("/protected");
    const session = await readSession(client);
    const key = sessionCookieName(client);
    const claims = decodeJwt(session.access_token);
    const forged = await signWithBackendKey({ ...claims, sub: "not-a-uuid" });
    writeSession(client, { ...session, access_token: forged, user: { ...session.user, id: "not-a-uuid" } }, key);
    const page = await client.request("/protected");
    expect(page.status).toBe(302);
    expect(page.headers.get("location")).toMatch(/^\/login\?next=/);

    writeSession(client, { ...session, access_token: forged, user: { ...session.user, id: "not-a-uuid" } }, key);
    const call = await callServerFunction(client, fn("getFeed"), { args: [null] });
    expect(call.response.status).toBeLessThan(500);
    expect(call.response.headers.get("location")).toMatch(/^\/login\?next=/);
  });

  it("a NUL or a control character in a message, a lone surrogate in an argument: its own message, nothing stored", async () => {
    const client = await signedIn("/messages");
    const cases: [string, string][] = [
      ["before\u0000after", "Remove the NUL character (U+0000): a message cannot contain it."],
      ["bell\u0007", "Remove the control characters: a message may hold text, tabs and line breaks."],
    ];
    for (const [body, message] of cases) {
      const id = randomUUID();
      const response = await client.submit("/messages", "sendMessage", { id, body });
      expect(flashOf(response)).toMatchObject({ error: true, result: message });
      expect(await sql`select 1 from public.messages where id = ${id}`).toHaveLength(0);
    }
    // FormData holds USV strings (a lone surrogate becomes U+FFFD on the way in); other arguments
    // can carry one, and the schema refuses it before Postgres sees it.
    const conversation = await callServerFunction(client, fn("getConversation"), { args: ["bob\ud800"] });
    expect(conversation.response.status).toBe(400);
    expect(errorMessage(conversation.value)).toBe("Bad request to getConversation: expected a username.");
  });
});
