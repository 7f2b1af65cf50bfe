import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { localBackend, SEEDED_ACCOUNTS } from "~/server/local-backend";

const SEED = readFileSync(new URL("../../supabase/seed.sql", import.meta.url), "utf8");

describe("the home page's local backend facts", () => {
  it("lists exactly the accounts supabase/seed.sql documents and inserts, with its password and roles", () => {
    const password = /password `([^`]+)`/.exec(SEED)?.[1];
    const documented = [...SEED.matchAll(/^--\s+(\S+@\S+)\s+(\w+)/gm)].map(([, email, role]) => ({ email, password, role }));
    expect(SEEDED_ACCOUNTS).toEqual(documented);
    for (const account of SEEDED_ACCOUNTS) expect(SEED).toContain(`'${account.email}'`);
    expect(SEED).toContain(`extensions.crypt('${password}'`);
  });

  it("is shown only with LOCAL_MAILBOX_URL set and the API on this machine", () => {
    const mailbox = "http://127.0.0.1:54324";
    for (const url of ["http://127.0.0.1:54321", "http://localhost:54321", "http://[::1]:54321"]) {
      expect(localBackend({ LOCAL_MAILBOX_URL: mailbox, VITE_SUPABASE_URL: url })?.mailboxUrl).toBe(mailbox);
    }
    expect(localBackend({ LOCAL_MAILBOX_URL: "", VITE_SUPABASE_URL: "http://127.0.0.1:54321" })).toBeNull();
    for (const url of ["https://abcdefghijklmnop.supabase.co", "http://127.0.0.1.example.com:54321", "http://10.0.0.5:54321"]) {
      expect(localBackend({ LOCAL_MAILBOX_URL: mailbox, VITE_SUPABASE_URL: url })).toBeNull();
    }
  });
});
