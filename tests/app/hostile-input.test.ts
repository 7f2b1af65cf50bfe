import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { UUID_PATTERN } from "../../src/lib/domain/ids.ts";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { flashOf } from "../fixtures/auth-flows.ts";
import { enrolTotp } from "../fixtures/two-factor.ts";
import {
  BASELINE_FIELDS,
  HOSTILE_ARGUMENTS,
  HOSTILE_BODIES,
  HOSTILE_HEADERS,
  HOSTILE_STRINGS,
  SECRET_VALUES,
} from "../fixtures/hostile-corpus.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import {
  builtServerFunctions,
  callServerFunction,
  type CallResult,
  exposedText,
  leaksIn,
  type ServerFunction,
} from "../fixtures/server-functions.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/**
 * Every server function and form action the BUILT app has (from its server-function manifest and
 * the forms its pages render), sent the corpus of tests/fixtures/hostile-corpus.ts signed out and
 * signed in, with and without JavaScript. Every answer: below 500, no stack, path, SQL or runtime
 * error text anywhere, no submitted secret in a cookie or a redirect. Afterwards the database
 * holds exactly the messages that were accepted, each once and as sent.
 */

const sql = postgres(inject("appDatabaseUrl"), { max: 2, onnotice: () => undefined });
afterAll(() => sql.end());

const PASSWORD = "hostile-user-password-1";
const CONCURRENCY = 6;

interface FoundForm {
  page: string;
  action: string;
  id: string;
  fields: Map<string, string>;
  signedIn: boolean;
}

interface Finding {
  what: string;
  problem: string;
}

async function inBatches<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < items.length) await run(items[next++] as T);
    }),
  );
}

function decodeEntities(value: string): string {
  return value.replaceAll("&quot;", '"').replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&amp;", "&");
}

/** Pages reachable by links from `/` (and the auth pages), and the forms with server actions on them. */
async function crawl(client: AppClient, signedIn: boolean): Promise<FoundForm[]> {
  const queue = [
    "/",
    "/login",
    "/signup",
    "/forgot-password",
    "/account",
    "/messages",
    "/logout",
    "/two-factor",
    // Reached by a GET form, not a link (loading it starts an enrolment).
    "/account/security/setup",
  ];
  const seen = new Set<string>();
  const forms: FoundForm[] = [];
  while (queue.length && seen.size < 40) {
    const page = queue.shift() as string;
    if (seen.has(page)) continue;
    seen.add(page);
    const { url, body, response } = await client.follow(page);
    expect(response.status, `GET ${page}`).toBeLessThan(500);
    for (const [, href = ""] of body.matchAll(/<a [^>]*href="(\/[^"#]*)"/g)) {
      const path = decodeEntities(href);
      if (!path.startsWith("/_") && !path.startsWith("/auth/") && !seen.has(path)) queue.push(path);
    }
    for (const [form = "", action = "", inner = ""] of body.matchAll(
      /<form[^>]*action="([^"]*\/_server[^"]*)"[^>]*>([\s\S]*?)<\/form>/g,
    )) {
      const target = new URL(decodeEntities(action), client.base);
      const fields = new Map<string, string>();
      // A control outside the form that submits it through its `form` attribute (the feed's
      // Delete buttons) is one of its fields too.
      const formId = /\bid="([^"]+)"/.exec(form.slice(0, form.indexOf(">")))?.[1];
      const associated = formId
        ? [...body.matchAll(new RegExp(`<button[^>]*\\bform="${formId}"[^>]*>`, "g"))].map(([tag]) => tag)
        : [];
      for (const tag of [...inner.matchAll(/<(?:input|textarea|select)[^>]*>/g)].map(([tag]) => tag).concat(associated)) {
        const name = /name="([^"]+)"/.exec(tag)?.[1];
        if (!name) continue;
        if (/type="checkbox"/.test(tag)) continue;
        fields.set(name, decodeEntities(/value="([^"]*)"/.exec(tag)?.[1] ?? ""));
      }
      forms.push({
        page: url.pathname + url.search,
        action: target.pathname + target.search,
        id: target.searchParams.get("id") ?? "",
        fields,
        signedIn,
      });
    }
  }
  return forms;
}

describe("hostile input against every server function and form action of the built app", () => {
  let functions: ServerFunction[] = [];
  const findings: Finding[] = [];
  let member: { client: AppClient; id: string; email: string };
  let forms: FoundForm[] = [];
  /** Message ids this suite sent, with what was sent and whether the app said it accepted it. */
  const sent = new Map<string, { body: string; accepted: boolean }>();

  async function signedIn(prefix: string): Promise<{ client: AppClient; id: string; email: string }> {
    const email = uniqueEmail(prefix);
    const user = await createConfirmedUser(email, PASSWORD);
    const client = new AppClient();
    await client.signIn(email, PASSWORD, "/");
    return { client, id: user.id, email };
  }

  function check(what: string, response: Response, bytes: Uint8Array): void {
    if (response.status >= 500) findings.push({ what, problem: `status ${response.status}` });
    for (const leak of leaksIn(exposedText(response, bytes))) findings.push({ what, problem: leak });
    const carried = [...response.headers.getSetCookie(), response.headers.get("location") ?? ""].join("\n");
    const readable = (() => {
      try {
        return decodeURIComponent(carried);
      } catch {
        return carried;
      }
    })();
    for (const secret of SECRET_VALUES) {
      if (readable.includes(secret)) findings.push({ what, problem: "a submitted secret in a cookie or redirect" });
    }
  }

  function recordSend(form: FoundForm, fields: Record<string, string>, accepted: boolean): void {
    // An id that is not a uuid is refused before it reaches the database: nothing to look up.
    const id = fields.id ?? "";
    if (!/sendMessage/.test(form.action) || !UUID_PATTERN.test(id)) return;
    // What went over the wire: form values are USV strings (a lone surrogate travels as U+FFFD).
    const body = new URLSearchParams({ body: fields.body ?? "" }).get("body") ?? "";
    sent.set(id, sent.get(id) ?? { body, accepted });
  }

  beforeAll(async () => {
    functions = await builtServerFunctions();
    member = await signedIn("hostile");
    // A message of their own, so the feed renders its edit and delete forms.
    const own = await member.client.submit("/messages", "sendMessage", { id: randomUUID(), body: "hostile suite's own message" });
    expect(flashOf(own)?.error).toBe(false);
    // With a second factor: its aal2 session sees the factor's forms, an aal1 one the code page's.
    const enrolled = await signedIn("hostile-2fa");
    await enrolTotp(enrolled.client);
    const awaitingCode = new AppClient();
    await awaitingCode.signIn(enrolled.email, PASSWORD, "/", "/two-factor?next=%2F");
    forms = [
      ...(await crawl(new AppClient(), false)),
      ...(await crawl(member.client, true)),
      ...(await crawl(enrolled.client, true)),
      ...(await crawl(awaitingCode, true)),
    ];
  }, 120_000);

  it("finds every action of the manifest as a form on some page, and at least the app's known functions", () => {
    expect(functions.length).toBeGreaterThanOrEqual(20);
    const withForms = new Set(forms.map((form) => form.id));
    const missing = functions.filter((fn) => fn.kind === "action" && !withForms.has(fn.id)).map((fn) => fn.name);
    expect(missing).toEqual([]);
  });

  it("every server function, called with JavaScript: hostile arguments, bodies and headers", async () => {
    const signedOut = new AppClient();
    const cases: {
      what: string;
      client: AppClient;
      fn: ServerFunction;
      call: Parameters<typeof callServerFunction>[2];
      headers?: Record<string, string>;
    }[] = [];
    for (const fn of functions) {
      for (const [who, client] of [
        ["signed out", signedOut],
        ["signed in", member.client],
      ] as const) {
        for (const [label, args] of HOSTILE_ARGUMENTS)
          cases.push({ what: `${fn.name} ${who}: ${label}`, client, fn, call: { args } });
        for (const body of HOSTILE_BODIES) {
          cases.push({
            what: `${fn.name} ${who}: ${body.label}`,
            client,
            fn,
            call: { raw: body.body, contentType: body.contentType },
            headers: body.headers,
          });
        }
        for (const [label, headers] of HOSTILE_HEADERS)
          cases.push({ what: `${fn.name} ${who}: ${label}`, client, fn, call: { args: [null] }, headers });
      }
    }
    await inBatches(cases, async ({ what, client, fn, call, headers }) => {
      let result: CallResult;
      try {
        result = await callServerFunction(client, fn, call, headers);
      } catch (error) {
        findings.push({ what, problem: `no readable answer: ${(error as Error).message}` });
        return;
      }
      check(what, result.response, result.bytes);
    });
    expect(findings).toEqual([]);
  }, 120_000);

  it("every form action, without and with JavaScript: one hostile field at a time, missing fields, hostile headers", async () => {
    const jobs: (() => Promise<void>)[] = [];
    // One form per action and kind of visitor; each signed-in one gets a user of its own, so a
    // sign-out or a password change only affects that action's own cases.
    const targets = new Map<string, FoundForm & { signedIn: boolean }>();
    for (const form of forms) {
      const key = `${form.id} ${form.signedIn}`;
      if (!targets.has(key)) targets.set(key, form);
    }
    for (const form of targets.values()) {
      const client = form.signedIn ? (await signedIn("hostile-form")).client : new AppClient();
      const isSend = /sendMessage/.test(form.action);
      const baseline = (): Record<string, string> =>
        Object.fromEntries(
          [...form.fields].map(([name, value]) => [
            name,
            name === "id" && isSend ? randomUUID() : value || (BASELINE_FIELDS[name]?.() ?? ""),
          ]),
        );
      const variants: [string, Record<string, string>][] = [["no fields", {}]];
      for (const name of form.fields.keys()) {
        for (const [label, value] of HOSTILE_STRINGS) variants.push([`${name} = ${label}`, { ...baseline(), [name]: value }]);
      }
      for (const [label, fields] of variants) {
        const what = `${form.action.replace(/&name=[^&]*/, "")} on ${form.page}: ${label}`;
        jobs.push(async () => {
          const response = await client.post(form.action, form.page, fields);
          const bytes = new Uint8Array(await response.arrayBuffer());
          check(`${what} (no JS)`, response, bytes);
          const flash = flashOf(response);
          recordSend(form, fields, response.status === 302 && flash?.error === false);
        });
        jobs.push(async () => {
          const data = new FormData();
          for (const [key, value] of Object.entries(fields)) data.set(key, value);
          // Its own message id: the no-JS post of the same variant may have stored its id already.
          if (isSend && label.startsWith("body") && fields.id) data.set("id", randomUUID());
          const call = await callServerFunction(
            client,
            { id: form.id },
            { form: data },
            { referer: new URL(form.page, client.base).toString() },
          );
          check(`${what} (JS)`, call.response, call.bytes);
          recordSend(
            form,
            { ...fields, id: data.get("id")?.toString() ?? "", body: data.get("body")?.toString() ?? "" },
            call.response.status === 200 && !call.response.headers.has("x-error"),
          );
        });
      }
      for (const [label, headers] of HOSTILE_HEADERS) {
        jobs.push(async () => {
          const response = await client.post(form.action, form.page, baseline(), headers);
          check(`${form.action} on ${form.page}: ${label} (no JS)`, response, new Uint8Array(await response.arrayBuffer()));
        });
      }
    }
    await inBatches(jobs, (job) => job());
    expect(findings).toEqual([]);
  }, 120_000);

  it("a message id sent again (resent form, double click, concurrent retries) stores one message, the first one", async () => {
    const { client } = await signedIn("idempotent");
    const id = randomUUID();
    const first = await client.submit("/messages", "sendMessage", { id, body: "first body" });
    expect(flashOf(first)?.error).toBe(false);
    const again = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const data = new FormData();
        data.set("id", id);
        data.set("body", `retry ${i}`);
        return callServerFunction(
          client,
          { id: forms.find((form) => /sendMessage/.test(form.action))?.id ?? "" },
          { form: data },
          { referer: `${client.base}/messages` },
        );
      }),
    );
    for (const call of again) expect(call.response.status).toBeLessThan(500);
    expect(await sql`select body from public.messages where id = ${id}`).toEqual([{ body: "first body" }]);

    // Someone else's id: refused, and the message is unchanged.
    const other = await signedIn("idempotent-other");
    const stolen = await other.client.submit("/messages", "sendMessage", { id, body: "taken over" });
    expect(flashOf(stolen)).toMatchObject({ error: true, result: "That message cannot be sent: reload the page." });
    expect(await sql`select body from public.messages where id = ${id}`).toEqual([{ body: "first body" }]);
  });

  it("afterwards: every accepted message is stored once, as sent; nothing refused was stored", async () => {
    expect(sent.size).toBeGreaterThan(10);
    const ids = [...sent.keys()];
    const rows = await sql<{ id: string; body: string; n: number }[]>`
      select id, body, count(*) over (partition by id)::int as n from public.messages where id = any(${ids}::uuid[])`;
    const stored = new Map(rows.map((row) => [row.id, row]));
    const problems: string[] = [];
    for (const [id, { body, accepted }] of sent) {
      const row = stored.get(id);
      if (accepted && !row) problems.push(`accepted ${JSON.stringify(body.slice(0, 40))} was lost`);
      if (accepted && row && row.body !== body.trim())
        problems.push(`accepted ${JSON.stringify(body.slice(0, 40))} stored as ${JSON.stringify(row.body.slice(0, 40))}`);
      if (row && row.n !== 1) problems.push(`${id} stored ${row.n} times`);
      if (!accepted && row) problems.push(`refused ${JSON.stringify(body.slice(0, 40))} was stored`);
    }
    expect(problems).toEqual([]);
    expect([...sent.values()].some((entry) => entry.accepted)).toBe(true);
    expect([...sent.values()].some((entry) => !entry.accepted)).toBe(true);
  });
});
