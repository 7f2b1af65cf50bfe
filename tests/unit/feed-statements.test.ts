import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { describe, expect, it } from "vitest";
import type { RlsTransaction } from "~/server/db/client";
import { changesSince, conversation, publicFeedPage } from "~/server/messages/feed";

/*
 * The feed's statements are prepared once per connection and found again by their text (ADR 0016,
 * bench/README.md T5): whatever the request, a statement of one kind has one text, and only its
 * parameters vary.
 */
const dialect = new PgDialect();

async function statements(run: (tx: RlsTransaction) => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const tx = {
    execute: async (query: SQL) => {
      texts.push(dialect.sqlToQuery(query).sql);
      return [];
    },
  } as unknown as RlsTransaction;
  await run(tx);
  return texts;
}

const A = "a11ce000-0000-4000-8000-000000000001";
const B = "b0b00000-0000-4000-8000-000000000002";
const cursor = (createdAt: string, id: string) => ({ createdAt, id });

describe("the feed's statement texts", () => {
  it("do not depend on the request's values", async () => {
    const pages = await Promise.all([
      statements((tx) => publicFeedPage(tx, cursor("2026-01-01T00:00:00.000000Z", A))),
      statements((tx) => publicFeedPage(tx, cursor("2027-05-05T05:05:05.555555Z", B))),
    ]);
    expect(pages[0]).toEqual(pages[1]);
    const catchUps = await Promise.all([
      statements((tx) => changesSince(tx, cursor("2026-01-01T00:00:00.000000Z", A), "2026-01-01T00:00:00.000000Z")),
      statements((tx) => changesSince(tx, cursor("2027-01-01T00:00:00.000000Z", B), "2027-01-01T00:00:00.000000Z")),
    ]);
    expect(catchUps[0]).toEqual(catchUps[1]);
    expect(await statements((tx) => conversation(tx, A, B))).toEqual(await statements((tx) => conversation(tx, B, A)));
  });
});
