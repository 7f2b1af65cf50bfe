import { afterAll, describe, expect, inject, it } from "vitest";
import { type AppServer, startAppServer } from "../setup/app-server.ts";
import { freePort } from "local-supabase/testing";
import { shareBackend } from "../fixtures/turn.ts";

shareBackend();

const started: AppServer[] = [];

afterAll(async () => {
  await Promise.all(started.map((app) => app.stop()));
});

async function homePage(base: string): Promise<string> {
  const response = await fetch(`${base}/`);
  expect(response.status).toBe(200);
  return response.text();
}

/** Another instance of the built app with the test environment changed by `change`. */
async function appWith(change: (env: Record<string, string>) => void): Promise<string> {
  const env = { ...inject("appEnv") };
  change(env);
  const app = await startAppServer(await freePort(), env);
  started.push(app);
  return app.url;
}

describe("the home page's local accounts", () => {
  it("are listed when the app runs on the local backend", async () => {
    const html = await homePage(inject("appUrl"));
    expect(html).toContain("alice@example.com");
    expect(html).toContain("password123");
    expect(html).toContain(inject("mailboxUrl"));
  });

  it("are never shown when the app is not told it runs on a local backend (a hosted project's environment)", async () => {
    const html = await homePage(
      await appWith((env) => {
        delete env.LOCAL_MAILBOX_URL;
      }),
    );
    expect(html).toContain("What it shows");
    expect(html).not.toContain("password123");
    expect(html).not.toContain("alice@example.com");
  });

  it("are never shown when the API is not on this machine, even with LOCAL_MAILBOX_URL set", async () => {
    const html = await homePage(
      await appWith((env) => {
        env.VITE_SUPABASE_URL = "https://project-ref.example.com";
      }),
    );
    expect(html).toContain("What it shows");
    expect(html).not.toContain("password123");
  });
});
