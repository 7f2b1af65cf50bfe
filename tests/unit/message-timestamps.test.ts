import { describe, expect, it } from "vitest";
import { compareNewestFirst, type FeedMessage } from "~/lib/domain/messages";
import { ISO_MICROS_PATTERN, toIsoMicros } from "~/lib/domain/timestamps";

describe("toIsoMicros", () => {
  it.each([
    ["2024-05-01T10:00:00.123456Z", "2024-05-01T10:00:00.123456Z"],
    ["2024-05-01 10:00:00.5+00", "2024-05-01T10:00:00.500000Z"],
    ["2024-05-01 12:00:00.000001+02:00", "2024-05-01T10:00:00.000001Z"],
    ["2024-05-01T10:00:00+0530", "2024-05-01T04:30:00.000000Z"],
    ["2024-05-01T10:00:00", "2024-05-01T10:00:00.000000Z"],
    // to_jsonb's form, in a writer's zone whose offset has minutes and whose day is not UTC's.
    ["2026-01-02T05:35:00.000001+05:45", "2026-01-01T23:50:00.000001Z"],
    ["2025-12-31 21:00:00.25-03:30", "2026-01-01T00:30:00.250000Z"],
    // A JavaScript ISO string (milliseconds).
    ["2026-01-01T00:00:00.123Z", "2026-01-01T00:00:00.123000Z"],
  ])("%s -> %s", (input, expected) => {
    expect(expected).toMatch(ISO_MICROS_PATTERN);
    expect(toIsoMicros(input)).toBe(expected);
  });

  it("keeps string order equal to time order within one millisecond", () => {
    const a = toIsoMicros("2024-05-01 10:00:00.123401+00");
    const b = toIsoMicros("2024-05-01 10:00:00.1234+00");
    expect(a > b).toBe(true);
  });
});

describe("compareNewestFirst", () => {
  const message = (createdAt: string, id: string) => ({ createdAt, id }) as FeedMessage;
  it("orders by created_at then id, newest first", () => {
    const list = [
      message("2024-01-01T00:00:00.000001Z", "b"),
      message("2024-01-01T00:00:00.000002Z", "a"),
      message("2024-01-01T00:00:00.000001Z", "c"),
    ].sort(compareNewestFirst);
    expect(list.map((m) => m.id)).toEqual(["a", "c", "b"]);
  });
});
