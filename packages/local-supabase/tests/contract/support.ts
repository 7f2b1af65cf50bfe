import { randomBytes } from "node:crypto";
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import postgres, { type Sql } from "postgres";
import { inject } from "vitest";

export const backend = {
  url: inject("contractUrl"),
  authUrl: `${inject("contractUrl")}/auth/v1`,
  publishableKey: inject("contractPublishableKey"),
  secretKey: inject("contractSecretKey"),
  mailboxUrl: inject("contractMailboxUrl"),
  databaseUrl: inject("contractDatabaseUrl"),
  embedded: inject("contractEmbedded"),
};

/** Why a test is skipped against an external backend; used in `it.skipIf(...)` names. */
export const onlyEmbedded = !backend.embedded;
export const needsDatabase = !backend.databaseUrl;

export const PASSWORD = "correct-horse-battery";

export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(5).toString("hex")}@example.com`;
}

class MemoryStorage {
  #items = new Map<string, string>();
  getItem = (key: string) => this.#items.get(key) ?? null;
  setItem = (key: string, value: string) => void this.#items.set(key, value);
  removeItem = (key: string) => void this.#items.delete(key);
}

export interface RequestLog {
  method: string;
  path: string;
}

export interface ClientOptions {
  key?: string;
  flowType?: "implicit" | "pkce";
  /** Collects every request the client makes (method + path below /auth/v1). */
  requests?: RequestLog[];
}

/** An unmodified supabase-js client, as a server-side app would build it. */
export function client(options: ClientOptions = {}): SupabaseClient {
  const requests = options.requests;
  const countingFetch: typeof fetch = (input, init) => {
    if (requests) {
      const url = new URL(input instanceof Request ? input.url : String(input));
      requests.push({ method: init?.method ?? "GET", path: url.pathname.replace(/^\/auth\/v1/, "") });
    }
    return fetch(input, init);
  };
  return createClient(backend.url, options.key ?? backend.publishableKey, {
    auth: {
      storage: new MemoryStorage(),
      persistSession: true,
      autoRefreshToken: false,
      detectSessionInUrl: false,
      flowType: options.flowType ?? "implicit",
    },
    global: { fetch: countingFetch },
  });
}

export function adminClient(): SupabaseClient {
  return client({ key: backend.secretKey });
}

/** A confirmed user made through the admin API (works the same on any backend). */
export async function createConfirmedUser(label: string, extra: Record<string, unknown> = {}) {
  const email = uniqueEmail(label);
  const { data, error } = await adminClient().auth.admin.createUser({
    email,
    password: PASSWORD,
    email_confirm: true,
    ...extra,
  });
  if (error) throw error;
  return { email, id: data.user.id };
}

export async function signedInClient(label: string, options: ClientOptions = {}) {
  const user = await createConfirmedUser(label);
  const supabase = client(options);
  const { data, error } = await supabase.auth.signInWithPassword({ email: user.email, password: PASSWORD });
  if (error) throw error;
  return { supabase, user, session: data.session };
}

/** Raw call to the Auth API, for what supabase-js hides (status codes, headers, legacy bodies). */
export async function authFetch(
  path: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(`${backend.authUrl}${path}`, {
    method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? "POST" : "GET"),
    headers: {
      apikey: backend.publishableKey,
      "content-type": "application/json",
      ...init.headers,
    },
    body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    redirect: "manual",
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // Not JSON (HTML page or empty): keep the text.
  }
  return { status: response.status, headers: response.headers, body };
}

export function database(): Sql {
  return postgres(backend.databaseUrl, { max: 2, onnotice: () => undefined });
}

export interface Mail {
  ID: string;
  Subject: string;
  To: { Name: string; Address: string }[];
  Text: string;
  HTML: string;
}

/** Waits for the newest mail to `address` (optionally with a subject matching) in the Mailpit API. */
export async function waitForMail(address: string, subject?: RegExp, timeoutMs = 10_000): Promise<Mail> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const list = (await (await fetch(`${backend.mailboxUrl}/api/v1/messages`)).json()) as {
      messages: { ID: string; Subject: string; To: { Address: string }[] }[];
    };
    const found = list.messages.find(
      (message) =>
        message.To.some((to) => to.Address.toLowerCase() === address.toLowerCase()) &&
        (!subject || subject.test(message.Subject)),
    );
    if (found) return (await (await fetch(`${backend.mailboxUrl}/api/v1/message/${found.ID}`)).json()) as Mail;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no mail to ${address}${subject ? ` matching ${subject}` : ""} within ${timeoutMs} ms`);
}

/** The API's verify link, `{{ .ConfirmationURL }}`, which every default template contains. */
export function verifyLink(mail: Mail): URL {
  const match = /https?:\/\/[^\s"'<>]+\/auth\/v1\/verify\?[^\s"'<>]+/.exec(mail.Text || mail.HTML);
  if (!match) throw new Error(`no verify link in mail "${mail.Subject}"`);
  return new URL(match[0].replace(/&amp;/g, "&"));
}

/** The token hash a mail carries (the verify link's `token`, which is `{{ .TokenHash }}`). */
export function tokenHashOf(mail: Mail): string {
  const token = verifyLink(mail).searchParams.get("token");
  if (!token) throw new Error("verify link without token");
  return token;
}

export function decodeJwt(token: string): Record<string, unknown> {
  const [, payload] = token.split(".");
  return JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8"));
}
