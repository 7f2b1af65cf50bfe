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
});
