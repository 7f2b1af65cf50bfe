import { describe, expect, it } from "vitest";
import { type FeedMessage, supersedes } from "~/lib/domain/messages";

const original: FeedMessage = {
  id: "0a000000-0000-4000-8000-000000000001",
  authorId: "b0b00000-0000-4000-8000-000000000002",
  authorName: "bob",
  recipientId: null,
  recipientName: null,
  isAnnouncement: false,
  body: "first",
  createdAt: "2026-12-01T10:00:00.000000Z",
  editedAt: null,
  deletedAt: null,
};
const edited = { ...original, body: "second", editedAt: "2026-12-01T10:01:00.000000Z" };
const editedAgain = { ...original, body: "third", editedAt: "2026-12-01T10:02:00.000000Z" };
const deleted = { ...edited, body: "", deletedAt: "2026-12-01T10:03:00.000000Z" };

/*
 * The feed receives copies of one message from the rendered page, Realtime and catch-up fetches,
 * in any order. Whatever the order, the newest state wins.
 */
describe("supersedes(): which copy of a message the feed keeps", () => {
  it("takes any copy of a message it does not have yet", () => {
    expect(supersedes(undefined, original)).toBe(true);
  });

  it.each([
    ["an edit replaces the original", original, edited, true],
    ["a later edit replaces an earlier one", edited, editedAgain, true],
    ["a deletion replaces an edit", edited, deleted, true],
    ["the same copy again is harmless", edited, edited, true],
    ["the original does not undo an edit", edited, original, false],
    ["an earlier edit does not undo a later one", editedAgain, edited, false],
    ["an edit does not bring back a deleted message", deleted, editedAgain, false],
    ["the original does not bring back a deleted message", deleted, original, false],
  ])("%s", (_case, current, incoming, expected) => {
    expect(supersedes(current, incoming)).toBe(expected);
  });

  it("ends in the newest state whatever order the copies arrive in", () => {
    const copies = [original, edited, editedAgain, { ...editedAgain, body: "", deletedAt: "2026-12-01T10:04:00.000000Z" }];
    const orders = [copies, [...copies].reverse(), [copies[2], copies[0], copies[3], copies[1]]];
    for (const order of orders) {
      let kept: FeedMessage | undefined;
      for (const copy of order) if (copy && supersedes(kept, copy)) kept = copy;
      expect(kept?.deletedAt).toBe("2026-12-01T10:04:00.000000Z");
    }
  });
});
