import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const sql = postgres(inject("appDatabaseUrl"), { max: 2, onnotice: () => undefined });
afterAll(() => sql.end());

async function as(email: string): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(email, "password123", "/messages");
  return client;
}

function send(client: AppClient, fields: Record<string, string>, page = "/messages") {
  return client.submit(page, "sendMessage", fields);
}

function messageIds(html: string): string[] {
  return [...html.matchAll(/data-message-id="([^"]+)"/g)].map((match) => match[1] as string);
}

describe("/messages", () => {
  it("is server-rendered for signed-in users only", async () => {
    const anonymous = new AppClient();
    const response = await anonymous.request("/messages");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/login?next=%2Fmessages");
    const { body } = await (await as("bob@example.com")).follow("/messages");
    expect(messageIds(body).length).toBeGreaterThan(0);
  });

  it("sends without JavaScript, and a resent form with the same id inserts once", async () => {
    const bob = await as("bob@example.com");
    const id = randomUUID();
    const body = `hello ${id}`;
    for (let i = 0; i < 3; i++) {
      const response = await send(bob, { id, body });
      expect(response.status).toBeLessThan(400);
    }
    const [row] = await sql`select count(*)::int as n, min(body) as body from public.messages where id = ${id}`;
    expect(row).toEqual({ n: 1, body });
    const carol = await as("carol@example.com");
    expect((await carol.follow("/messages")).body).toContain(body);
  });

  it("refuses a body over the limit, an empty body and a bad id, losing nothing else", async () => {
    const bob = await as("bob@example.com");
    for (const fields of [
      { id: randomUUID(), body: "x".repeat(2001) },
      { id: randomUUID(), body: "   " },
      { id: "not-a-uuid", body: "hi" },
    ]) {
      await send(bob, fields);
      const [row] = await sql`select count(*)::int as n from public.messages where body = ${fields.body}`;
      expect(row?.n).toBe(0);
    }
  });

  it("counts a line break as one character, as the textarea does: a form's CRLF is stored as LF", async () => {
    const bob = await as("bob@example.com");
    const id = randomUUID();
    // 2000 characters in the box; 2010 as the form sends them (each line break as CRLF).
    const typed = Array.from({ length: 10 }, (_, i) => `${i}`.repeat(199)).join("\n");
    expect(typed.length).toBe(1999);
    const response = await send(bob, { id, body: `${typed}!`.replaceAll("\n", "\r\n") });
    expect(response.status).toBeLessThan(400);
    const [row] = await sql`select body from public.messages where id = ${id}`;
    expect(row?.body).toBe(`${typed}!`);
  });

  it("lets only moderators post announcements", async () => {
    const bob = await as("bob@example.com");
    const refused = randomUUID();
    await send(bob, { id: refused, body: "attention please", announcement: "on" });
    expect((await sql`select 1 from public.messages where id = ${refused}`).length).toBe(0);

    const alice = await as("alice@example.com");
    const accepted = randomUUID();
    await send(alice, { id: accepted, body: "maintenance tonight", announcement: "on" });
    const [row] = await sql`select is_announcement from public.messages where id = ${accepted}`;
    expect(row?.is_announcement).toBe(true);
    const { body } = await bob.follow("/messages");
    expect(body).toMatch(new RegExp(`class="message announcement"[^>]*data-message-id="${accepted}"`));
  });

  it("keeps a direct message between its two participants (moderators included)", async () => {
    const bob = await as("bob@example.com");
    const id = randomUUID();
    const secret = `psst ${id}`;
    await send(bob, { id, body: secret, to: "carol" }, "/messages/direct/carol");
    expect((await sql`select recipient_id from public.messages where id = ${id}`).length).toBe(1);

    const carol = await as("carol@example.com");
    expect((await carol.follow("/messages/direct/bob")).body).toContain(secret);
    expect((await bob.follow("/messages/direct/carol")).body).toContain(secret);
    expect((await carol.follow("/messages/direct")).body).toContain('href="/messages/direct/bob"');

    const alice = await as("alice@example.com");
    expect((await alice.follow("/messages")).body).not.toContain(secret);
    expect((await alice.follow("/messages/direct/bob")).body).not.toContain(secret);
    expect((await alice.follow("/moderation")).body).not.toContain(secret);
  });

  it("deletes as a tombstone: authors their own, moderators any public message, others nothing", async () => {
    const bob = await as("bob@example.com");
    const carol = await as("carol@example.com");
    const alice = await as("alice@example.com");
    const own = randomUUID();
    const other = randomUUID();
    await send(bob, { id: own, body: "mine to delete" });
    await send(bob, { id: other, body: "a moderator deletes this" });

    // Carol has no Delete button on Bob's message; she posts to the action endpoint directly.
    await carol.post(await bob.actionUrl("/messages", "deleteMessage"), "/messages", { id: own });
    expect((await sql`select deleted_at from public.messages where id = ${own}`)[0]?.deleted_at).toBeNull();

    await bob.submit("/messages", "deleteMessage", { id: own });
    await alice.submit("/moderation", "deleteMessage", { id: other });
    const rows =
      await sql`select id, body, deleted_at is not null as deleted from public.messages where id in ${sql([own, other])}`;
    expect(rows.map((row) => ({ body: row.body, deleted: row.deleted }))).toEqual([
      { body: "", deleted: true },
      { body: "", deleted: true },
    ]);
    // Both stay in place as tombstones, without their text and without buttons.
    const { body } = await carol.follow("/messages");
    for (const id of [own, other]) {
      const item = new RegExp(
        `<li[^>]*class="message[^"]*\\btombstone\\b[^"]*"[^>]*data-message-id="${id}"[^>]*>(.*?)</li>`,
        "s",
      ).exec(body);
      expect(item, `tombstone of ${id}`).not.toBeNull();
      expect(item?.[1]).toContain("This message was removed.");
      expect(item?.[1]).not.toContain("<form");
      expect(item?.[1]).not.toContain("<button");
    }
    expect(body).not.toContain("mine to delete");
    expect(body).not.toContain("a moderator deletes this");
  });

  it("edits without JavaScript on the ?edit= page; the feed itself carries one delete form and no editor", async () => {
    const bob = await as("bob@example.com");
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) await send(bob, { id, body: `draft ${id}` });

    const feed = (await bob.follow("/messages")).body;
    expect(feed.match(/--deleteMessage_action/g)?.length).toBe(1);
    expect(feed).not.toContain("--editMessage_action");
    for (const id of ids) {
      expect(feed).toContain(`href="/messages?edit=${id}"`);
      expect(feed).toMatch(new RegExp(`<button[^>]*form="[^"]+"[^>]*name="id"[^>]*value="${id}"`));
    }

    const [target, untouched] = ids as [string, string];
    const page = `/messages?edit=${target}`;
    const editing = (await bob.follow(page)).body;
    expect(editing.match(/--editMessage_action/g)?.length).toBe(1);
    expect(editing).toMatch(new RegExp(`<textarea[^>]*name="body"[^>]*>draft ${target}</textarea>`));
    expect(editing).not.toContain(`>draft ${untouched}</textarea>`);

    const saved = await bob.submit(page, "editMessage", { id: target, body: `final ${target}` });
    expect(saved.status).toBe(302);
    const back = await bob.follow(saved.headers.get("location") ?? "");
    expect(back.url.pathname + back.url.search).toBe(page);
    expect(back.body).toContain(`final ${target}`);
    // The page it comes back to shows the saved message with its editor closed.
    expect(back.body).not.toContain("--editMessage_action");
    const [row] = await sql`select body, edited_at is not null as edited from public.messages where id = ${target}`;
    expect(row).toEqual({ body: `final ${target}`, edited: true });

    // Someone else's message, no message, markup, a NUL, a long value, two values: the feed as
    // usual, no editor, nothing of the value rendered as markup.
    const carol = await as("carol@example.com");
    const theirs = randomUUID();
    await send(carol, { id: theirs, body: `carol's ${theirs}` });
    for (const value of [theirs, "not-a-uuid", "<script>alert(1)</script>", "%00", "x".repeat(5000)]) {
      const { response, body } = await bob.follow(`/messages?edit=${encodeURIComponent(value)}`);
      expect(response.status, value).toBe(200);
      expect(body, value).not.toContain("--editMessage_action");
      expect(body.replace(/ href="[^"]*"/g, ""), value).not.toContain("<script>alert(1)</script>");
    }
    const twice = await bob.follow(`/messages?edit=${untouched}&edit=${target}`);
    expect(twice.response.status).toBe(200);
    expect(twice.body.match(/--editMessage_action/g)?.length).toBe(1);
  });

  it("pages back through older messages by (created_at, id)", async () => {
    const [bob] = await sql`select id from public.profiles where username = 'bob'`;
    const stamp = new Date(Date.now() - 86_400_000 * 365);
    const ids: string[] = [];
    // 60 messages in the same second: the id breaks the ties.
    for (let i = 0; i < 60; i++) ids.push(randomUUID());
    await sql`insert into public.messages ${sql(ids.map((id, i) => ({ id, author_id: bob?.id, body: `old ${i}`, created_at: stamp })))}`;
    const client = await as("carol@example.com");
    const seen = new Set<string>();
    let page = "/messages";
    for (let i = 0; i < 20 && page; i++) {
      const { body } = await client.follow(page);
      for (const id of messageIds(body)) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
      const older = /href="(\/messages\?before=[^"]+)"/.exec(body)?.[1];
      page = older ? older.replaceAll("&amp;", "&") : "";
    }
    for (const id of ids) expect(seen.has(id)).toBe(true);
  });
});

describe("/moderation", () => {
  it("is for moderators only", async () => {
    const bob = await as("bob@example.com");
    const response = await bob.request("/moderation");
    expect(response.status).toBe(403);
    const alice = await as("alice@example.com");
    expect((await alice.request("/moderation")).status).toBe(200);
  });
});
