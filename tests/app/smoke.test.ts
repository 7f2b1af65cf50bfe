import { describe, expect, it } from "vitest";
import { AppClient } from "../fixtures/app-client.ts";

describe("smoke", () => {
  it("signs in and renders the protected page", async () => {
    const client = new AppClient();
    await client.signIn("bob@example.com", "password123", "/protected");
    const { response, body } = await client.follow("/protected");
    expect(response.status).toBe(200);
    expect(body).toContain("bob@example.com");
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
