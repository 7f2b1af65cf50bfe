import postgres from "postgres";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { flashOf } from "../fixtures/auth-flows.ts";
import { uniqueEmail } from "../fixtures/mailbox.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const sql = postgres(inject("appDatabaseUrl"), { max: 1, onnotice: () => undefined });
afterAll(() => sql.end());

async function newUser(): Promise<{ client: AppClient; id: string }> {
  const email = uniqueEmail("account");
  const user = await createConfirmedUser(email, "account-password-1");
  const client = new AppClient();
  await client.signIn(email, "account-password-1", "/account");
  return { client, id: user.id };
}

async function username(id: string) {
  const [row] = await sql`select username, username_set from public.profiles where id = ${id}`;
  return row;
}

describe("/account", () => {
  it("shows the derived username until the user chooses one", async () => {
    const { client, id } = await newUser();
    const profile = await username(id);
    expect(profile?.username_set).toBe(false);
    const { body } = await client.follow("/account");
    expect(body).toContain(`value="${profile?.username}"`);
    expect(body).toContain("Choose the username other people see.");
  });

  it("saves a valid username, refuses a taken or malformed one, and changes nothing then", async () => {
    const { client, id } = await newUser();
    const wanted = `u_${Date.now().toString(36)}`;
    await client.submit("/account", "updateUsername", { username: wanted.toUpperCase() });
    expect(await username(id)).toEqual({ username: wanted, username_set: true });

    const taken = await client.submit("/account", "updateUsername", { username: "bob" });
    expect(flashOf(taken)).toMatchObject({ error: true, result: "That username is taken." });
    for (const bad of ["ab", "has space", "x".repeat(33), "émile"]) {
      const refused = await client.submit("/account", "updateUsername", { username: bad });
      expect(flashOf(refused)).toMatchObject({ error: true, result: "Use 3 to 32 lowercase letters, digits or underscores." });
    }
    expect((await username(id))?.username).toBe(wanted);
  });
});
