import { describe, expect, it } from "vitest";
import { createConfirmedUser } from "../fixtures/admin.ts";
import { AppClient } from "../fixtures/app-client.ts";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

describe("smoke", () => {
  it("signs in and renders the protected page", async () => {
    // A user of its own: the seeded accounts' sign-ins count against the per-account limit that
    // the other files of the suite share.
    const email = `smoke-${crypto.randomUUID().slice(0, 8)}@example.com`;
    await createConfirmedUser(email, "password123");
    const client = new AppClient();
    await client.signIn(email, "password123", "/protected");
    const { response, body } = await client.follow("/protected");
    expect(response.status).toBe(200);
    expect(body).toContain(email);
  });

  it("renders each page's title into the head, once", async () => {
    const client = new AppClient();
    for (const [path, title] of [
      ["/", "SolidStart + Supabase"],
      ["/login", "Sign in"],
      ["/signup", "Create an account"],
      ["/no-such-page", "Not found"],
    ]) {
      const { body } = await client.follow(path as string);
      expect(body.match(/<title>[^<]*<\/title>/g), path).toEqual([`<title>${title}</title>`]);
    }
  });
});
