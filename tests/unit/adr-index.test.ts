import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const folder = path.resolve(import.meta.dirname, "../../docs/decisions");
const index = readFileSync(path.join(folder, "README.md"), "utf8");

/** Numbers whose records never landed: the index says so, and nothing may take them later. */
function retiredNumbers(): string[] {
  const section = index.split("## Retired numbers")[1] ?? "";
  const paragraph = section.split(/\n\n/).find((part) => part.trim()) ?? "";
  const sentence = paragraph.split(" were taken")[0] ?? "";
  return sentence.split(/,| and /).flatMap((part) => {
    const range = /(\d{4}) to (\d{4})/.exec(part);
    if (!range) return /\d{4}/.exec(part) ?? [];
    const numbers: string[] = [];
    for (let n = Number(range[1]); n <= Number(range[2]); n++) numbers.push(String(n).padStart(4, "0"));
    return numbers;
  });
}

describe("the ADR index (docs/decisions/README.md)", () => {
  const records = readdirSync(folder).filter((name) => /^\d{4}-.*\.md$/.test(name) && !name.startsWith("0000"));

  it("lists every record in the folder, with its title, and links only to records that exist", () => {
    for (const name of records) {
      const heading = readFileSync(path.join(folder, name), "utf8").split("\n")[0] ?? "";
      const title = heading.replace(/^# \d{4}: /, "");
      expect(index, name).toContain(`| [${name.slice(0, 4)}](${name}) | ${title} |`);
    }
    const linked = [...index.matchAll(/\]\((\d{4}-[^)]+\.md)\)/g)]
      .map((match) => match[1] ?? "")
      .filter((name) => !name.startsWith("0000"));
    expect(linked.sort()).toEqual([...records].sort());
  });

  it("names the retired numbers, and no record carries one", () => {
    const retired = retiredNumbers();
    expect(retired).toEqual(expect.arrayContaining(["0005", "0009", "0030", "0041", "0045"]));
    const taken = records.map((name) => name.slice(0, 4));
    expect(taken.filter((number) => retired.includes(number))).toEqual([]);
  });

  it("has no gap that is neither a record nor retired", () => {
    const taken = new Set([...records.map((name) => name.slice(0, 4)), ...retiredNumbers()]);
    const highest = Math.max(...records.map((name) => Number(name.slice(0, 4))));
    const missing = [];
    for (let n = 1; n <= highest; n++) if (!taken.has(String(n).padStart(4, "0"))) missing.push(n);
    expect(missing).toEqual([]);
  });
});
