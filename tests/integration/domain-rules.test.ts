import { sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import { AUTH_SERVER_METADATA_KEYS } from "~/lib/domain/claims";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import {
  CONVERSATION_TOPIC_PREFIX,
  conversationTopic,
  DATABASE_EVENTS,
  FEED_TOPIC,
  SIGNAL_TOPIC_PREFIX,
  signalTopicOf,
  USER_TOPIC_PREFIX,
} from "~/lib/domain/realtime-topics";
import { APP_ROLES, ROLE_CLAIM } from "~/lib/domain/roles";
import { ISO_MICROS_PATTERN, toIsoMicros } from "~/lib/domain/timestamps";
import { USERNAME_CHARACTERS, USERNAME_MAX_LENGTH, USERNAME_MIN_LENGTH, USERNAME_PATTERN } from "~/lib/domain/username";
import { isoMicros } from "~/server/db/fixed-sql";
import { useTestDatabase } from "local-supabase/testing/vitest";

/*
 * The rules in src/lib/domain/ as the migrated database holds them. Check constraints and policies
 * are generated from the constants, so a difference here means a changed constant without
 * `npm run db:generate`; the functions and triggers are hand-written SQL and repeat some of them
 * (the username rule, the topics and events of Realtime, the uuid shape, the timestamp format).
 */
const db = useTestDatabase();

async function constraint(table: string, name: string): Promise<string> {
  const [row] = await db.sql<{ definition: string }[]>`
    select pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
     where c.conrelid = ${`public.${table}`}::regclass and c.conname = ${name}`;
  if (!row) throw new Error(`no constraint ${name} on ${table}`);
  return row.definition;
}

async function functionSource(name: string): Promise<string> {
  const [row] = await db.sql<{ source: string }[]>`
    select p.prosrc as source from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname = ${name}`;
  if (!row) throw new Error(`no function public.${name}`);
  return row.source;
}

/** Every function of the app (schema public): name and source. */
async function functionSources(): Promise<{ name: string; source: string }[]> {
  return db.sql<{ name: string; source: string }[]>`
    select p.proname as name, p.prosrc as source from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' order by 1`;
}

/** The string literals of a piece of SQL, unquoted (comments dropped first: they may quote anything). */
function literals(source: string): string[] {
  const code = source.replace(/--[^\n]*/g, "");
  return [...code.matchAll(/'((?:[^']|'')*)'/g)].map((match) => (match[1] ?? "").replaceAll("''", "'"));
}

/** The top-level arguments of every call of `name(...)` in the source, as SQL text. */
function callArguments(source: string, name: string): string[][] {
  const calls: string[][] = [];
  for (let start = source.indexOf(`${name}(`); start >= 0; start = source.indexOf(`${name}(`, start + 1)) {
    const args: string[] = [];
    let depth = 0;
    let quoted = false;
    let current = "";
    for (const character of source.slice(start + name.length + 1)) {
      if (character === "'") quoted = !quoted;
      if (!quoted && character === "(") depth++;
      if (!quoted && character === ")" && depth-- === 0) break;
      if (!quoted && character === "," && depth === 0) {
        args.push(current.trim());
        current = "";
      } else current += character;
    }
    calls.push([...args, current.trim()]);
  }
  return calls;
}

/** The one literal an SQL expression consists of, or undefined when it is anything else. */
function literalValue(expression: string | undefined): string | undefined {
  const match = /^'((?:[^']|'')*)'$/.exec(expression ?? "");
  return match ? (match[1] ?? "").replaceAll("''", "'") : undefined;
}

/** A literal that spells a topic or a topic pattern: `feed:public`, `dm:`, `^signals:dm:...`. */
const TOPIC_SHAPED = /^\^?[a-z_]+:\S*$/;

describe("domain rules in the migrated database", () => {
  it("profiles.username's check constraint is USERNAME_PATTERN", async () => {
    expect(await constraint("profiles", "profiles_username_format")).toContain(`'${USERNAME_PATTERN.source}'`);
  });

  it("messages.body's check constraint allows MESSAGE_MAX_LENGTH characters", async () => {
    const definition = await constraint("messages", "messages_body_length");
    const bounds = [...definition.matchAll(/char_length\(btrim\(body\)\) <= (\d+)/g)].map((match) => Number(match[1]));
    expect(bounds).toEqual([MESSAGE_MAX_LENGTH]);
  });

  it("the sign-up trigger keeps a username the user asked for only when it matches USERNAME_PATTERN", async () => {
    const source = await functionSource("handle_new_user");
    const patterns = [...source.matchAll(/~ '([^']*)'/g)].map((match) => match[1]);
    expect(patterns).toEqual([USERNAME_PATTERN.source]);
  });

  it("the sign-up trigger derives usernames of USERNAME_CHARACTERS within the length limits", async () => {
    const source = await functionSource("handle_new_user");
    // Characters outside the class become underscores.
    expect(source).toContain(`'[^${USERNAME_CHARACTERS}]+', '_'`);
    expect(source).toMatch(new RegExp(`char_length\\(base\\) < ${USERNAME_MIN_LENGTH}\\b`));
    // A taken name gets "_" and a 6-character suffix: the base is cut so the sum is the maximum.
    const base = Number(/'_'\),\s*(\d+)\);/.exec(source)?.[1]);
    const suffix = Number(/base \|\| '_' \|\| substr\(md5\([^;]*\), 1, (\d+)\)/.exec(source)?.[1]);
    expect(base + 1 + suffix).toBe(USERNAME_MAX_LENGTH);
  });

  it("policies read the role from ROLE_CLAIM and compare it with a role in APP_ROLES", async () => {
    const rows = await db.sql<{ name: string; expression: string }[]>`
      select policyname as name, concat_ws(' ', qual, with_check) as expression
        from pg_policies where schemaname = 'public'`;
    const checks = rows.flatMap((row) =>
      [...row.expression.matchAll(/'app_metadata'::text\) ->> '([^']*)'::text\)\) = '([^']*)'::text/g)].map((match) => ({
        policy: row.name,
        claim: match[1],
        role: match[2],
      })),
    );
    expect(checks.length).toBeGreaterThan(0);
    for (const check of checks) {
      expect(check.claim, check.policy).toBe(ROLE_CLAIM);
      expect(APP_ROLES, check.policy).toContain(check.role);
    }
    // Every mention of app_metadata in a policy is one of the comparisons above.
    const mentions = rows.reduce((count, row) => count + row.expression.split("'app_metadata'").length - 1, 0);
    expect(mentions).toBe(checks.length);
  });
});

describe("the auth server's own app_metadata keys in the database's functions", () => {
  it("every list that names one of them names AUTH_SERVER_METADATA_KEYS, in the claims functions only", async () => {
    const lists = (await functionSources()).flatMap(({ name, source }) =>
      [...source.matchAll(/(?:\bin \(|\barray\[)('[^']*'(?:,\s*'[^']*')*)[)\]]/g)]
        .map((match) => literals(match[1] ?? ""))
        .filter((list) => list.some((literal) => (AUTH_SERVER_METADATA_KEYS as readonly string[]).includes(literal)))
        .map((list) => ({ name, list })),
    );
    expect(lists.map(({ name }) => name).sort()).toEqual(["claims_are_stale", "claims_are_stale", "delete_claim", "set_claim"]);
    for (const { name, list } of lists) expect(list, name).toEqual([...AUTH_SERVER_METADATA_KEYS]);
  });
});

describe("Realtime topics and events in the database's functions and policies", () => {
  /** Each Realtime write of every function: the function, the event, the topic's literals, private or not. */
  async function realtimeWrites() {
    const writes: { fn: string; event: string | undefined; topic: string[]; isPrivate: string | undefined }[] = [];
    for (const { name, source } of await functionSources()) {
      for (const [payload, event, topic, isPrivate] of callArguments(source, "realtime.send")) {
        expect(payload, name).toBeDefined();
        writes.push({ fn: name, event: literalValue(event), topic: literals(topic ?? ""), isPrivate });
      }
      for (const [topic, event] of callArguments(source, "realtime.broadcast_changes")) {
        // The topic is a variable: its literals are those of every assignment to it.
        const assigned = [...source.matchAll(new RegExp(`\\b${topic} := ([^;]*);`, "g"))].flatMap((match) =>
          literals(match[1] ?? ""),
        );
        writes.push({ fn: name, event: literalValue(event), topic: assigned, isPrivate: "true" });
      }
    }
    return writes;
  }

  it("every write names an event of DATABASE_EVENTS on a private database topic, and every event is written", async () => {
    const writes = await realtimeWrites();
    expect(writes.map((write) => write.fn).sort()).toEqual([
      "broadcast_claims_changed",
      "broadcast_message_change",
      "broadcast_message_change",
      "broadcast_sessions_ended",
    ]);
    const events = Object.values(DATABASE_EVENTS) as string[];
    for (const write of writes) {
      expect(events, write.fn).toContain(write.event);
      expect(write.isPrivate, write.fn).toBe("true");
    }
    expect(new Set(writes.map((write) => write.event))).toEqual(new Set(events));
  });

  it("the triggers spell the topics as realtime-topics.ts does", async () => {
    const topics = Object.fromEntries((await realtimeWrites()).map((write) => [`${write.fn} ${write.event}`, write.topic]));
    expect(topics).toEqual({
      [`broadcast_message_change ${DATABASE_EVENTS.message}`]: [FEED_TOPIC, CONVERSATION_TOPIC_PREFIX, ":"],
      [`broadcast_sessions_ended ${DATABASE_EVENTS.sessionsEnded}`]: [USER_TOPIC_PREFIX],
      [`broadcast_claims_changed ${DATABASE_EVENTS.claimsChanged}`]: [USER_TOPIC_PREFIX],
    });
    // No topic spelled anywhere else in a function (a comment may name one; code may not).
    const spelled = (await functionSources()).flatMap(({ name, source }) =>
      literals(source)
        .filter((literal) => TOPIC_SHAPED.test(literal))
        .map((literal) => `${name} ${literal}`),
    );
    expect(spelled.sort()).toEqual(
      [
        `broadcast_claims_changed ${USER_TOPIC_PREFIX}`,
        `broadcast_message_change ${CONVERSATION_TOPIC_PREFIX}`,
        `broadcast_message_change ${FEED_TOPIC}`,
        `broadcast_sessions_ended ${USER_TOPIC_PREFIX}`,
      ].sort(),
    );
  });

  it("the realtime.messages policies accept exactly the topics realtime-topics.ts builds", async () => {
    const rows = await db.sql<{ name: string; expression: string }[]>`
      select policyname as name, concat_ws(' ', qual, with_check) as expression
        from pg_policies where schemaname = 'realtime' and tablename = 'messages'`;
    const spelled = rows.flatMap((row) => literals(row.expression).filter((literal) => TOPIC_SHAPED.test(literal)));
    const exact = spelled.filter((literal) => !literal.startsWith("^"));
    const patterns = spelled.filter((literal) => literal.startsWith("^"));
    expect(new Set(exact)).toEqual(new Set([FEED_TOPIC, signalTopicOf(FEED_TOPIC), USER_TOPIC_PREFIX]));
    // Postgres' and JavaScript's regular expressions agree on these plain classes and counts.
    const ofKind = (prefix: string) =>
      patterns.filter((pattern) => pattern.startsWith(`^${prefix}`)).map((pattern) => new RegExp(pattern));
    const conversations = ofKind(CONVERSATION_TOPIC_PREFIX);
    const signals = ofKind(SIGNAL_TOPIC_PREFIX + CONVERSATION_TOPIC_PREFIX);
    expect(conversations.length + signals.length).toBe(patterns.length);
    const topic = conversationTopic(crypto.randomUUID(), crypto.randomUUID());
    for (const pattern of conversations) {
      expect(pattern.test(topic), pattern.source).toBe(true);
      expect(pattern.test(signalTopicOf(topic)), pattern.source).toBe(false);
    }
    for (const pattern of signals) {
      expect(pattern.test(signalTopicOf(topic)), pattern.source).toBe(true);
      expect(pattern.test(topic), pattern.source).toBe(false);
    }
    expect(conversations.length * signals.length).toBeGreaterThan(0);
  });
});

describe("the uuid shape in the database's functions", () => {
  it("every uuid pattern a function checks is UUID_PATTERN", async () => {
    const patterns = (await functionSources()).flatMap(({ name, source }) =>
      literals(source)
        .filter((literal) => literal.includes("[0-9a-f]"))
        .map((literal) => ({ name, literal })),
    );
    expect(patterns.map(({ name }) => name)).toContain("realtime_session_active");
    for (const { name, literal } of patterns) expect(literal, name).toBe(UUID_PATTERN.source);
  });
});

describe("the timestamp format, run in Postgres", () => {
  const dialect = new PgDialect();
  const INSTANTS = [
    "2026-01-01 23:59:59.999999+00",
    "2026-03-29 01:00:00.000001+00",
    "2024-02-29 12:34:56.5+00",
    "1970-01-01 00:00:00+00",
    "2099-12-31 23:59:59.123456+00",
  ];
  const ZONES = ["UTC", "Asia/Kathmandu", "America/St_Johns", "Pacific/Kiritimati"];

  /** Every to_char pattern of the app's SQL: its functions' and the server's (fixed-sql.ts). */
  async function formats(): Promise<{ where: string; format: string }[]> {
    const inFunctions = (await functionSources()).flatMap(({ name, source }) =>
      callArguments(source, "to_char").map(([, format]) => ({ where: name, format: literalValue(format) ?? `${format}` })),
    );
    const server = dialect.sqlToQuery(isoMicros(sql<Date>`now()`)).sql;
    const inServer = callArguments(server, "to_char").map(([, format]) => ({
      where: "isoMicros",
      format: literalValue(format) ?? "",
    }));
    return [...inFunctions, ...inServer];
  }

  it("every to_char pattern writes the text toIsoMicros makes of the same instant", async () => {
    const found = await formats();
    expect(found.map(({ where }) => where)).toContain("isoMicros");
    for (const { where, format } of found) {
      for (const instant of INSTANTS) {
        const [row] = await db.sql<{ text: string }[]>`
          select to_char(${instant}::text::timestamptz at time zone 'UTC', ${format}) as text`;
        const expected = toIsoMicros(instant);
        expect(expected).toMatch(ISO_MICROS_PATTERN);
        expect(row?.text, `${where}: ${instant}`).toBe(expected);
      }
    }
  });

  it("the server's isoMicros and the browser's toIsoMicros agree on every text Postgres may hand the browser", async () => {
    const { sql: text } = dialect.sqlToQuery(isoMicros(sql<Date>`$1::text::timestamptz`));
    for (const zone of ZONES) {
      for (const instant of INSTANTS) {
        const [row] = await db.sql.begin(async (tx) => {
          await tx`select set_config('TimeZone', ${zone}, true)`;
          return tx.unsafe<{ server: string; json: string; plain: string }[]>(
            `select ${text} as server, to_jsonb($1::text::timestamptz) #>> '{}' as json, $1::text::timestamptz::text as plain`,
            [instant],
          );
        });
        if (!row) throw new Error("no row");
        expect(row.server, `${zone} ${instant}`).toMatch(ISO_MICROS_PATTERN);
        expect(toIsoMicros(row.json), `${zone} ${row.json}`).toBe(row.server);
        expect(toIsoMicros(row.plain), `${zone} ${row.plain}`).toBe(row.server);
      }
    }
  });
});
