import type { SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Change,
  insertMessage,
  type Row,
  signedIn,
  sql,
  subscribe,
  type Subscription,
  type UserName,
  users,
  waitUntil,
} from "./realtime-support.ts";
import { needsDatabase } from "./support.ts";

/** A tag no other test's rows carry, so filters on `body` see only this test's rows. */
const newTag = (label: string) => `${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

/** The part of each delivered body after the tag, for rows of this tag only. */
function names(changes: Change[], tag: string): string[] {
  return changes
    .map((c) => String((c.new as Row).body ?? ""))
    .filter((body) => body.startsWith(`${tag} `))
    .map((body) => body.slice(tag.length + 1))
    .sort();
}

interface SystemMessage {
  extension?: string;
  status?: string;
  message?: string;
}

/** Joins with one binding and collects the `system` messages the server answers after the join. */
async function systemAnswer(
  supabase: SupabaseClient,
  filter: string,
  select?: string[],
): Promise<{ statuses: string[]; system: SystemMessage }> {
  const messages: SystemMessage[] = [];
  const statuses: string[] = [];
  supabase
    .channel(`filters-system-${Math.random()}`)
    .on("system", {}, (payload: SystemMessage) => messages.push(payload))
    .on(
      "postgres_changes",
      {
        event: "INSERT",
        schema: "public",
        table: "messages",
        ...(filter ? { filter } : {}),
        ...(select ? { select } : {}),
      } as never,
      () => undefined,
    )
    .subscribe((status) => statuses.push(status));
  await waitUntil(() => messages.some((m) => m.extension === "postgres_changes"), `system answer to ${filter}`);
  return { statuses, system: messages.find((m) => m.extension === "postgres_changes") as SystemMessage };
}

describe.skipIf(needsDatabase)("Realtime postgres_changes filters as Supabase reads them (unmodified supabase-js)", () => {
  let db: Sql;
  let bob: SupabaseClient;

  beforeAll(async () => {
    db = sql();
    bob = await signedIn("bob");
  });
  afterAll(async () => {
    await bob?.removeAllChannels();
    await db?.end();
  });

  /**
   * Subscribes each filter next to a binding for the tag's "end" row, inserts the rows and then
   * that marker: one socket delivers in commit order, so once every subscription has the marker
   * nothing earlier is still on the way. Returns what each filter let through, marker left out.
   */
  async function deliveredBy(
    filters: Record<string, string>,
    tag: string,
    rows: { author: UserName; name: string; recipient?: UserName; announcement?: boolean }[],
  ): Promise<Record<string, string[]>> {
    const subs: Record<string, Subscription> = {};
    for (const [name, filter] of Object.entries(filters)) {
      subs[name] = await subscribe(bob, [
        { event: "INSERT", filter },
        { event: "INSERT", filter: `body=eq.${tag} end` },
      ]);
    }
    for (const row of rows) {
      await insertMessage(db, {
        author: row.author,
        body: `${tag} ${row.name}`,
        ...(row.recipient ? { recipient: row.recipient } : {}),
        ...(row.announcement ? { announcement: true } : {}),
      });
    }
    await insertMessage(db, { author: "bob", body: `${tag} end` });
    await waitUntil(() => Object.values(subs).every((sub) => names(sub.changes, tag).includes("end")), "the end marker");
    const delivered: Record<string, string[]> = {};
    for (const [name, sub] of Object.entries(subs)) {
      delivered[name] = names(sub.changes, tag).filter((item) => item !== "end");
      await bob.removeChannel(sub.channel);
    }
    return delivered;
  }

  it("applies comma-separated conditions as AND, without splitting an in.(…) list or a quoted value", async () => {
    const tag = newTag("and");
    const delivered = await deliveredBy(
      {
        range: `body=gte.${tag} b,body=lte.${tag} d`,
        author: `author_id=eq.${users.carol.id},body=gte.${tag} b`,
        inList: `author_id=in.(${users.alice.id},${users.carol.id}),body=like.${tag} %`,
        quoted: `body=in.("${tag} x,y","${tag} z"),author_id=neq.${users.bob.id}`,
        quotedScalar: `body=eq."${tag} x,y"`,
      },
      tag,
      [
        { author: "carol", name: "a" },
        { author: "carol", name: "b" },
        { author: "alice", name: "c" },
        { author: "carol", name: "d" },
        { author: "carol", name: "e" },
        { author: "bob", name: "z" },
        { author: "carol", name: "z" },
        { author: "carol", name: "x,y" },
      ],
    );
    expect(delivered).toEqual({
      range: ["b", "c", "d"],
      author: ["b", "d", "e", "x,y", "z"],
      inList: ["a", "b", "c", "d", "e", "x,y", "z"],
      quoted: ["x,y", "z"],
      quotedScalar: ["x,y"],
    });
  });

  it("applies like, ilike, match, imatch, is, isdistinct and the not. prefix", async () => {
    const tag = newTag("ops");
    const mine = `body=like.${tag} %`;
    const delivered = await deliveredBy(
      {
        like: `body=like.${tag} b%t`,
        notLike: `${mine},body=not.like.${tag} b%`,
        ilike: `body=ilike.${tag} BA%`,
        match: `body=match.^${tag} (bat|cat)$`,
        imatch: `body=imatch.^${tag} B[A-Z]T`,
        notMatch: `${mine},body=not.match.t$`,
        isNull: `${mine},recipient_id=is.null`,
        notIsNull: `${mine},recipient_id=not.is.null`,
        isTrue: `${mine},is_announcement=is.true`,
        isFalse: `${mine},is_announcement=is.false`,
        isDistinct: `${mine},recipient_id=isdistinct.${users.alice.id}`,
        notIsDistinct: `${mine},recipient_id=not.isdistinct.${users.bob.id}`,
        notEq: `${mine},author_id=not.eq.${users.carol.id}`,
        notIn: `${mine},author_id=not.in.(${users.alice.id},${users.bob.id})`,
      },
      tag,
      [
        { author: "alice", name: "bat" },
        { author: "alice", name: "BAT" },
        { author: "carol", name: "cat" },
        { author: "carol", name: "bolt", announcement: true },
        { author: "alice", name: "dm", recipient: "bob" },
      ],
    );
    expect(delivered).toEqual({
      like: ["bat", "bolt"],
      notLike: ["BAT", "cat", "dm"],
      ilike: ["BAT", "bat"],
      match: ["bat", "cat"],
      imatch: ["BAT", "bat"],
      notMatch: ["BAT", "dm"],
      isNull: ["BAT", "bat", "bolt", "cat"],
      notIsNull: ["dm"],
      isTrue: ["bolt"],
      isFalse: ["BAT", "bat", "cat", "dm"],
      isDistinct: ["BAT", "bat", "bolt", "cat", "dm"],
      notIsDistinct: ["dm"],
      notEq: ["BAT", "bat", "dm"],
      notIn: ["bolt", "cat"],
    });
  });

  it("trims record and old_record to the binding's select list, keeping the primary key", async () => {
    const tag = newTag("select");
    const received: Change[] = [];
    const all: Change[] = [];
    const statuses: string[] = [];
    const channel = bob
      .channel(`filters-select-${Math.random()}`)
      .on(
        "postgres_changes",
        { event: "*", schema: "public", table: "messages", select: ["body", "author_id"] } as never,
        (payload: Change) => received.push(payload),
      )
      .on("postgres_changes", { event: "*", schema: "public", table: "messages" }, (payload: Change) => all.push(payload))
      .subscribe((status) => statuses.push(status));
    await waitUntil(() => statuses.includes("SUBSCRIBED"), "SUBSCRIBED");
    const id = await insertMessage(db, { author: "alice", body: `${tag} first` });
    const mine = (changes: Change[]) => changes.filter((c) => (c.new as Row).id === id);
    await waitUntil(() => mine(received).length === 1 && mine(all).length === 1, "the INSERT on both bindings");
    await db`update public.messages set body = ${`${tag} second`}, edited_at = now() where id = ${id}`;
    await waitUntil(() => mine(received).length === 2 && mine(all).length === 2, "the UPDATE on both bindings");
    received.splice(0, received.length, ...mine(received));
    all.splice(0, all.length, ...mine(all));

    expect(received[0]?.new).toEqual({ id, body: `${tag} first`, author_id: users.alice.id });
    expect(received[1]?.new).toEqual({ id, body: `${tag} second`, author_id: users.alice.id });
    expect(received[1]?.old).toEqual({ id, body: `${tag} first`, author_id: users.alice.id });
    // The binding without select still gets every column.
    expect(all[0]?.new).toMatchObject({ id, body: `${tag} first`, recipient_id: null, is_announcement: false });
    expect(Object.keys(all[1]?.old ?? {})).toEqual(expect.arrayContaining(["created_at", "edited_at", "recipient_id"]));
    await bob.removeChannel(channel);
  });

  it("answers a filter or select the table refuses with Supabase's system error, and delivers nothing on that channel", async () => {
    const refused = (reason: string) =>
      new RegExp(`^Unable to subscribe to changes with given parameters\\. .*Exception: .*${reason}$`);
    const cases: [string, string[] | undefined, RegExp][] = [
      ["nope=eq.1", undefined, refused("invalid column for filter nope")],
      ["body=eq.a,nope=eq.1", undefined, refused("invalid column for filter nope")],
      ["author_id=eq.not-a-uuid", undefined, refused('invalid input syntax for type uuid: "not-a-uuid"')],
      ["author_id=in.(not-a-uuid)", undefined, refused('invalid input syntax for type uuid: "not-a-uuid"')],
      ["is_announcement=like.a%", undefined, refused("operator like requires a text-compatible column type, got boolean")],
      ["body=is.true", undefined, refused("is true filter requires a boolean column, got text")],
      ["", ["body", "nope"], refused("invalid column for select nope")],
    ];
    for (const [filter, select, answer] of cases) {
      const { statuses, system } = await systemAnswer(bob, filter, select);
      expect(statuses, filter).toContain("SUBSCRIBED");
      expect(system.status, filter).toBe("error");
      expect(system.message, filter).toMatch(answer);
    }
    await bob.removeAllChannels();

    // One refused binding leaves the whole channel without changes, as Supabase's insert of its
    // subscriptions is one transaction. A channel on the same socket marks when delivery happened.
    const tag = newTag("refused");
    const refusedChanges: Change[] = [];
    const statuses: string[] = [];
    bob
      .channel(`filters-refused-${Math.random()}`)
      .on(
        "postgres_changes",
        { event: "INSERT", schema: "public", table: "messages", filter: `body=like.${tag}%` },
        (c: Change) => refusedChanges.push(c),
      )
      .on("postgres_changes", { event: "INSERT", schema: "public", table: "messages", filter: "nope=eq.1" }, (c: Change) =>
        refusedChanges.push(c),
      )
      .subscribe((status) => statuses.push(status));
    await waitUntil(() => statuses.includes("SUBSCRIBED"), "SUBSCRIBED");
    const marker = await subscribe(bob, [{ event: "INSERT", filter: `body=like.${tag}%` }]);
    await insertMessage(db, { author: "alice", body: `${tag} a` });
    await insertMessage(db, { author: "alice", body: `${tag} b` });
    await marker.waitFor((c) => (c.new as Row).body === `${tag} b`, "the second row on the marker channel");
    expect(refusedChanges).toEqual([]);
    await bob.removeAllChannels();
  });

  it("accepts every operator of Supabase's filter types", async () => {
    for (const filter of [
      "body=like.a%",
      "body=ilike.A%",
      "body=match.^a",
      "body=imatch.^A",
      "recipient_id=is.null",
      "is_announcement=is.true",
      "body=isdistinct.a",
      "body=not.eq.a",
      "body=not.in.(a,b)",
    ]) {
      const { statuses, system } = await systemAnswer(bob, filter);
      expect(system, filter).toMatchObject({ status: "ok", message: "Subscribed to PostgreSQL" });
      expect(statuses).toContain("SUBSCRIBED");
    }
    await bob.removeAllChannels();
  });

  it("answers an invalid filter after the join with Supabase's system error", async () => {
    const cases: [string, string | RegExp][] = [
      ["body=foo.a", 'Error parsing `filter` params: ["foo", "a"]'],
      ["body=not.foo.a", 'Error parsing `filter` params: ["foo", "a"]'],
      ["undefined", 'Error parsing `filter` params: ["undefined"]'],
      ["body=eq", 'Error parsing `filter` params: ["eq"]'],
      ["body=eq.a,,body=eq.b", "Error parsing `filter` params: filter must not contain empty segments (check for extra commas)"],
      ["body=in.a,b", "Error parsing `filter` params: `in` filter value must be wrapped by parentheses"],
      [
        "is_announcement=is.maybe",
        /^Unable to subscribe to changes with given parameters\. .*invalid value for is filter: must be null, true, false, or unknown$/,
      ],
    ];
    for (const [filter, answer] of cases) {
      const { statuses, system } = await systemAnswer(bob, filter);
      expect(statuses, filter).toContain("SUBSCRIBED");
      expect(system.status, filter).toBe("error");
      if (typeof answer === "string") expect(system.message, filter).toBe(answer);
      else expect(system.message, filter).toMatch(answer);
    }
    await bob.removeAllChannels();
  });
});
