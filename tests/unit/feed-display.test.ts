import { describe, expect, it } from "vitest";
import {
  charactersLeft,
  compactMessage,
  compareOldestFirst,
  expandMessage,
  type FeedMessage,
  initials,
  MESSAGE_MAX_LENGTH,
} from "~/lib/domain/messages";
import { relativeTime } from "~/lib/domain/relative-time";

const at = Date.parse("2026-12-01T12:00:00.000Z");
const ago = (ms: number) => new Date(at - ms).toISOString();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("relativeTime", () => {
  it.each([
    [ago(0), "just now"],
    [ago(59_999), "just now"],
    [ago(-30_000), "just now"],
    [ago(MINUTE), "1 min ago"],
    [ago(59 * MINUTE + 59_000), "59 min ago"],
    [ago(HOUR), "1 h ago"],
    [ago(23 * HOUR + 59 * MINUTE), "23 h ago"],
    [ago(DAY), "yesterday"],
    [ago(2 * DAY), "2 days ago"],
    [ago(6 * DAY + 23 * HOUR), "6 days ago"],
    [ago(7 * DAY), "2026-11-24"],
    ["2026-12-01T11:55:00.123456Z", "4 min ago"],
    ["not a time", ""],
  ])("%s -> %s", (iso, expected) => {
    expect(relativeTime(iso, at)).toBe(expected);
  });
});

describe("initials", () => {
  it.each([
    ["alice", "A"],
    ["bob_smith", "BS"],
    ["ux_other_a1b2", "UO"],
    ["r2d2", "RD"],
    ["_x", "X"],
    ["123", "1"],
  ])("%s -> %s", (name, expected) => {
    expect(initials(name)).toBe(expected);
  });
});

describe("charactersLeft", () => {
  it("counts what the server keeps: trimmed, in UTF-16 units as maxlength does", () => {
    expect(charactersLeft("")).toBe(MESSAGE_MAX_LENGTH);
    expect(charactersLeft("  hi  ")).toBe(MESSAGE_MAX_LENGTH - 2);
    expect(charactersLeft("😀")).toBe(MESSAGE_MAX_LENGTH - 2);
    expect(charactersLeft("x".repeat(MESSAGE_MAX_LENGTH))).toBe(0);
  });
});

describe("compareOldestFirst", () => {
  const message = (id: string, createdAt: string): FeedMessage => ({
    id,
    authorId: "a",
    authorName: "a",
    recipientId: null,
    recipientName: null,
    isAnnouncement: false,
    body: id,
    createdAt,
    editedAt: null,
    deletedAt: null,
  });
  it("orders by (created_at, id) ascending: the newest last", () => {
    const list = [
      message("b", "2026-12-01T10:00:00.000001Z"),
      message("c", "2026-12-01T09:00:00.000000Z"),
      message("a", "2026-12-01T10:00:00.000001Z"),
    ];
    expect(list.sort(compareOldestFirst).map((m) => m.id)).toEqual(["c", "a", "b"]);
  });
});

describe("compactMessage / expandMessage (the feed loader's wire form)", () => {
  const base: FeedMessage = {
    id: "7f0e49e2-76a0-4608-9362-311a475371f3",
    authorId: "b0b00000-0000-4000-8000-000000000002",
    authorName: "bob",
    recipientId: null,
    recipientName: null,
    isAnnouncement: false,
    body: "hello",
    createdAt: "2026-12-01T18:48:17.336112Z",
    editedAt: null,
    deletedAt: null,
  };
  const cases: [string, FeedMessage][] = [
    ["a plain public message", base],
    ["an edited announcement", { ...base, isAnnouncement: true, editedAt: "2026-12-01T18:50:00.000000Z" }],
    ["a tombstone", { ...base, body: "", deletedAt: "2026-12-01T18:51:00.000000Z" }],
    ["a direct message", { ...base, recipientId: "ca201000-0000-4000-8000-000000000003", recipientName: "carol" }],
  ];

  it.each(cases)("%s comes back as it was, without its null fields on the wire", (_, message) => {
    const compact = compactMessage(message);
    expect(expandMessage(compact)).toEqual(message);
    expect(Object.values(compact)).not.toContain(null);
    expect(Object.keys(compact).length).toBe(Object.values(message).filter((value) => value !== null).length);
  });
});
