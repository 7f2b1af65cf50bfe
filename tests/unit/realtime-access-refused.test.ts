import { afterEach, expect, it, vi } from "vitest";
import { useRealtime, type RealtimeAccess } from "~/lib/realtime";

// SolidStart's client resolves a refused server function call with its redirect Response; the
// browser's Realtime client must treat that as "no access", never as a token.
const refusal = () => new Response(null, { status: 401, headers: { location: "/login" } }) as unknown as RealtimeAccess;

afterEach(() => {
  vi.useRealTimers();
});

it("a refused first access call fails the connection", async () => {
  const realtime = useRealtime(() => Promise.resolve(refusal()));
  await expect(realtime.client).rejects.toThrow("the session has ended");
  realtime.release();
});

it("a refused renewal keeps the last token instead of handing over the Response's (undefined) one", async () => {
  vi.useFakeTimers({ toFake: ["Date"] });
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const answers = [
    {
      url: "http://127.0.0.1:9",
      apikey: "sb_publishable_x",
      accessToken: "first-token",
      expiresAt,
      userId: "u",
      sessionId: null,
    },
  ];
  const realtime = useRealtime(() => Promise.resolve(answers.shift() ?? refusal()));
  const client = await realtime.client;
  expect(client.accessTokenValue).toBe("first-token");

  // Near the token's expiry the client asks for a new one, and the session has ended meanwhile.
  vi.setSystemTime((expiresAt - 60) * 1000);
  await client.setAuth();
  expect(client.accessTokenValue).toBe("first-token");
  realtime.release();
});
