import type { SupabaseClient } from "@supabase/supabase-js";
import type { Sql } from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Change, insertMessage, type Row, signedIn, sql, subscribe, users, waitUntil } from "./realtime-support.ts";
import { needsDatabase } from "./support.ts";

describe.skipIf(needsDatabase)("Realtime postgres_changes (unmodified supabase-js)", () => {
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

  it("delivers an INSERT of a public message with Supabase's payload shape", async () => {
    const sub = await subscribe(bob, [{ event: "INSERT" }]);
    const id = await insertMessage(db, { author: "alice", body: "hello realtime" });
    const change = await sub.waitFor((c) => (c.new as Row).id === id, "INSERT");
    expect(change).toMatchObject({
      schema: "public",
      table: "messages",
      eventType: "INSERT",
      errors: null,
      new: { id, author_id: users.alice.id, recipient_id: null, body: "hello realtime", is_announcement: false },
      old: {},
    });
    expect(change.commit_timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // timestamptz arrives as to_jsonb prints it, microseconds included.
    expect(String((change.new as Row).created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    await bob.removeChannel(sub.channel);
  });

  it("delivers UPDATE with old and new rows, DELETE with only the primary key (RLS on), and * for all three", async () => {
    const updates = await subscribe(bob, [{ event: "UPDATE" }]);
    const deletes = await subscribe(bob, [{ event: "DELETE" }]);
    const all = await subscribe(bob, [{ event: "*" }]);
    // Like WALRUS, visibility is checked against the row as it is at check time, so each step
    // waits for its event before the row changes again.
    const id = await insertMessage(db, { author: "bob", body: "before" });
    await all.waitFor((c) => (c.new as Row).id === id, "INSERT on *");
    await db`update public.messages set body = 'after', edited_at = now() where id = ${id}`;
    const update = await updates.waitFor((c) => (c.new as Row).id === id, "UPDATE");
    await db`delete from public.messages where id = ${id}`;

    expect(update.eventType).toBe("UPDATE");
    expect(update.new).toMatchObject({ id, body: "after" });
    expect(update.old).toMatchObject({ id, body: "before", author_id: users.bob.id });

    const deletion = await deletes.waitFor((c) => (c.old as Row).id === id, "DELETE");
    expect(deletion.eventType).toBe("DELETE");
    expect(deletion.new).toEqual({});
    expect(deletion.old).toEqual({ id });

    await waitUntil(() => all.about(id).length === 3, "three events on *");
    expect(all.about(id).map((c) => c.eventType)).toEqual(["INSERT", "UPDATE", "DELETE"]);
    expect(updates.about(id)).toHaveLength(1);
    expect(deletes.about(id)).toHaveLength(1);
    for (const sub of [updates, deletes, all]) await bob.removeChannel(sub.channel);
  });

  it("applies eq, neq, lt, lte, gt, gte and in filters", async () => {
    const base = Date.parse("2030-01-01T00:00:00Z");
    const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString();
    const tag = `filters-${Date.now()}`;
    const filters = {
      eq: `author_id=eq.${users.carol.id}`,
      neq: `author_id=neq.${users.carol.id}`,
      lt: `created_at=lt.${at(2)}`,
      lte: `created_at=lte.${at(2)}`,
      gt: `created_at=gt.${at(2)}`,
      gte: `created_at=gte.${at(2)}`,
      in: `author_id=in.(${users.alice.id},${users.carol.id})`,
    };
    const subs = Object.fromEntries(
      await Promise.all(
        Object.entries(filters).map(async ([op, filter]) => [op, await subscribe(bob, [{ event: "INSERT", filter }])] as const),
      ),
    );
    const rows = [
      { author: "alice", minutes: 1 },
      { author: "bob", minutes: 2 },
      { author: "carol", minutes: 3 },
    ] as const;
    const ids: Record<string, string> = {};
    for (const row of rows) {
      ids[row.author] = await insertMessage(db, { author: row.author, body: `${tag} ${row.author}`, createdAt: at(row.minutes) });
    }
    // A last row every filter but neq/gt/gte lets through marks the end of the stream for all.
    await insertMessage(db, { author: "carol", body: `${tag} marker`, createdAt: at(0) });
    const expected: Record<string, string[]> = {
      eq: ["carol", "marker"],
      neq: ["alice", "bob"],
      lt: ["alice", "marker"],
      lte: ["alice", "bob", "marker"],
      gt: ["carol"],
      gte: ["bob", "carol"],
      in: ["alice", "carol", "marker"],
    };
    const names = (changes: Change[]) =>
      changes
        .map((c) => String((c.new as Row).body ?? ""))
        .filter((body) => body.startsWith(tag))
        .map((body) => body.slice(tag.length + 1));
    await waitUntil(
      () => Object.entries(expected).every(([op, list]) => names(subs[op]?.changes ?? []).length >= list.length),
      "filtered deliveries",
    );
    // One socket gets its events in commit order, so once a later row arrives nothing earlier is pending.
    const last = await insertMessage(db, { author: "alice", body: `end of ${tag}`, createdAt: at(10) });
    await waitUntil(() => (subs.gte?.changes ?? []).some((c) => (c.new as Row).id === last), "end marker");
    for (const [op, list] of Object.entries(expected)) expect(names(subs[op]?.changes ?? []).sort(), op).toEqual(list.sort());
    expect(Object.keys(ids)).toHaveLength(3);
    for (const sub of Object.values(subs)) if (sub) await bob.removeChannel(sub.channel);
  });
});
