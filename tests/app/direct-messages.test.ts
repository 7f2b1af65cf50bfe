import { afterAll, describe, expect, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";
import { createFeedUser, feedDatabase, type FeedUser } from "../fixtures/feed-users.ts";
import { callServerFunction, useServerFunctions } from "../fixtures/server-functions.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

/** /messages/direct over HTTP, as a browser without JavaScript and as the page's RPC calls. */

const sql = feedDatabase();
afterAll(() => sql.end());

const fn = useServerFunctions();

async function as(user: FeedUser): Promise<AppClient> {
  const client = new AppClient();
  await client.signIn(user.email, user.password, "/messages/direct");
  return client;
}

/** The unread count each conversation link of the list carries, by partner name. */
function unreadByPartner(html: string): Record<string, number> {
  return Object.fromEntries(
    [...html.matchAll(/data-partner="([^"]+)" data-unread="(\d+)"/g)].map((match) => [match[1], Number(match[2])]),
  );
}

function searchResults(html: string): string[] {
  const list = /data-testid="user-search-results"[^>]*>(.*?)<\/ul>/s.exec(html)?.[1] ?? "";
  return [...list.matchAll(/href="\/messages\/direct\/([^"]+)"/g)].map((match) => match[1] as string);
}

describe("/messages/direct without JavaScript", () => {
  it("lists conversations with unread counts; opening one marks it read for the reader only", async () => {
    const [una, vic] = await Promise.all([createFeedUser("dmuna"), createFeedUser("dmvic")]);
    await sql`insert into public.messages (author_id, recipient_id, body)
              values (${vic.id}, ${una.id}, 'first'), (${vic.id}, ${una.id}, 'second')`;
    const [unaClient, vicClient] = await Promise.all([as(una), as(vic)]);
    expect(unreadByPartner((await unaClient.follow("/messages/direct")).body)).toEqual({ [vic.username]: 2 });
    expect(unreadByPartner((await vicClient.follow("/messages/direct")).body)).toEqual({ [una.username]: 0 });

    const page = await unaClient.follow(`/messages/direct/${vic.username}`);
    expect(page.response.status).toBe(200);
    expect(page.body).toContain("second");
    expect(unreadByPartner((await unaClient.follow("/messages/direct")).body)).toEqual({ [vic.username]: 0 });

    await sql`insert into public.messages (author_id, recipient_id, body) values (${vic.id}, ${una.id}, 'third')`;
    expect(unreadByPartner((await unaClient.follow("/messages/direct")).body)).toEqual({ [vic.username]: 1 });
  });

  it("searches usernames by prefix with a GET form; text that cannot be a name gets a hint, never an error", async () => {
    const searcher = await createFeedUser("dmsearch");
    const client = await as(searcher);
    const found = await client.follow("/messages/direct?q=BO");
    expect(found.response.status).toBe(200);
    expect(searchResults(found.body)).toContain("bob");
    expect(found.body).toMatch(/<input[^>]*name="q"[^>]*value="BO"/);
    for (const [query, hint] of [
      ["b", "Type at least 2 characters."],
      ["<script>alert(1)</script>", "Usernames have only lowercase letters, digits and underscores."],
      ["x".repeat(500), "Usernames are at most 32 characters long."],
      ["zz_nobody_", "No username starts with"],
      ["%00", "Usernames have only"],
    ] as const) {
      const { response, body } = await client.follow(`/messages/direct?q=${encodeURIComponent(query)}`);
      expect(response.status, query).toBe(200);
      expect(body, query).toContain(hint);
      expect(searchResults(body), query).toEqual([]);
      // Only inside the box's quoted value (escaped as an attribute), never as markup.
      expect(body.replace(/ value="[^"]*"/g, ""), query).not.toContain("<script>alert(1)</script>");
    }
    const twice = await client.follow("/messages/direct?q=bo&q=ca");
    expect(twice.response.status).toBe(200);
  });
});

describe("the direct-message server functions", () => {
  it("searchUsers: a prefix finds names without the searcher; wrong shapes are a 400 that says why", async () => {
    const searcher = await createFeedUser("dmrpc");
    const client = await as(searcher);
    const ok = await callServerFunction(client, fn("searchUsers"), { args: ["dmrpc"] });
    expect(ok.response.status).toBe(200);
    expect(ok.value).toMatchObject({ hint: expect.any(String) });
    const bob = await callServerFunction(client, fn("searchUsers"), { args: ["bo"] });
    expect((bob.value as { users: { username: string }[] }).users.map((user) => user.username)).toContain("bob");
    for (const args of [[], [42], [null], [["bo"]], ["x".repeat(65)]]) {
      const refused = await callServerFunction(client, fn("searchUsers"), { args });
      expect(refused.response.status, JSON.stringify(args)).toBe(400);
      expect((refused.value as Error).message).toMatch(/^Bad request to searchUsers: expected/);
    }
    const anonymous = await callServerFunction(new AppClient(), fn("searchUsers"), { args: ["bo"] });
    expect(anonymous.response.status).toBeLessThan(500);
    expect(anonymous.response.headers.get("location")).toMatch(/^\/login\?next=/);
    expect(JSON.stringify(anonymous.value ?? null)).not.toContain("bob");
  });

  it("markConversationRead: only the caller's own marker moves; a name that is no one marks nothing", async () => {
    const [wes, xan] = await Promise.all([createFeedUser("dmwes"), createFeedUser("dmxan")]);
    await sql`insert into public.messages (author_id, recipient_id, body) values (${xan.id}, ${wes.id}, 'ping')`;
    const wesClient = await as(wes);
    const xanClient = await as(xan);
    const marked = await callServerFunction(xanClient, fn("markConversationRead"), { args: [wes.username] });
    expect(marked.value).toEqual({ marked: true });
    // Xan marking his side leaves Wes's unread count alone.
    expect(unreadByPartner((await wesClient.follow("/messages/direct")).body)).toEqual({ [xan.username]: 1 });
    for (const name of ["nobody_at_all", "", "Robert'); drop table profiles;--"]) {
      const none = await callServerFunction(wesClient, fn("markConversationRead"), { args: [name] });
      expect(none.value, name).toEqual({ marked: false });
    }
    for (const args of [[], [1], [{ username: xan.username }], ["x".repeat(65)]]) {
      const refused = await callServerFunction(wesClient, fn("markConversationRead"), { args });
      expect(refused.response.status, JSON.stringify(args)).toBe(400);
    }
    const rows = await sql`select user_id from public.conversation_reads where partner_id = ${wes.id} or user_id = ${wes.id}`;
    expect(rows.map((row) => row.user_id)).toEqual([xan.id]);
  });
});
