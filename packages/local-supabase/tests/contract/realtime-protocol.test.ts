import { afterEach, describe, expect, it } from "vitest";
import { rawSocket, type RawSocket } from "./realtime-support.ts";
import { backend } from "./support.ts";

type Frame = [string | null, string | null, string, string, Record<string, unknown>];

const bindings = [
  { event: "INSERT", schema: "public", table: "messages" },
  { event: "*", schema: "public", table: "messages", filter: "author_id=eq.b0b00000-0000-4000-8000-000000000002" },
];

let socket: RawSocket | undefined;
afterEach(() => socket?.close());

describe("Realtime protocol (Phoenix framing as realtime-js speaks it)", () => {
  it("vsn 2.0.0: join replies with an id per postgres_changes binding, in order, then Subscribed to PostgreSQL", async () => {
    socket = await rawSocket("2.0.0");
    const topic = "realtime:protocol-v2";
    socket.send(["1", "1", topic, "phx_join", { config: { postgres_changes: bindings }, access_token: backend.publishableKey }]);
    const reply = (await socket.waitFor((f) => (f as Frame)[3] === "phx_reply", "join reply")) as Frame;
    expect(reply.slice(0, 4)).toEqual(["1", "1", topic, "phx_reply"]);
    const response = reply[4] as { status: string; response: { postgres_changes: Record<string, unknown>[] } };
    expect(response.status).toBe("ok");
    const replied = response.response.postgres_changes;
    expect(replied.map(({ id: _id, ...rest }) => rest)).toEqual(bindings);
    for (const binding of replied) expect(typeof binding.id).toBe("number");
    expect(replied[0]?.id).not.toBe(replied[1]?.id);

    const system = (await socket.waitFor((f) => (f as Frame)[3] === "system", "system message")) as Frame;
    expect(system[2]).toBe(topic);
    expect(system[4]).toMatchObject({ extension: "postgres_changes", status: "ok", message: "Subscribed to PostgreSQL" });

    socket.send([null, "2", "phoenix", "heartbeat", {}]);
    const heartbeat = (await socket.waitFor((f) => (f as Frame)[1] === "2", "heartbeat reply")) as Frame;
    expect(heartbeat).toEqual([null, "2", "phoenix", "phx_reply", { status: "ok", response: {} }]);

    socket.send(["1", "3", topic, "phx_leave", {}]);
    const left = (await socket.waitFor((f) => (f as Frame)[1] === "3", "leave reply")) as Frame;
    expect(left[4]).toMatchObject({ status: "ok" });
  });

  it("vsn 1.0.0: JSON-object frames", async () => {
    socket = await rawSocket("1.0.0");
    const topic = "realtime:protocol-v1";
    socket.send({ topic, event: "phx_join", payload: { config: { postgres_changes: bindings } }, ref: "1", join_ref: "1" });
    const reply = (await socket.waitFor((f) => (f as { event: string }).event === "phx_reply", "join reply")) as Record<
      string,
      unknown
    >;
    expect(reply).toMatchObject({ topic, ref: "1", payload: { status: "ok" } });
    socket.send({ topic: "phoenix", event: "heartbeat", payload: {}, ref: "2", join_ref: null });
    await socket.waitFor((f) => (f as { ref: string }).ref === "2", "heartbeat reply");
  });

  it("answers an invalid access token with a join error, and survives garbage frames", async () => {
    socket = await rawSocket("2.0.0");
    socket.send(["1", "1", "realtime:bad-token", "phx_join", { config: {}, access_token: "not-a-jwt" }]);
    const reply = (await socket.waitFor((f) => (f as Frame)[1] === "1", "join reply")) as Frame;
    expect(reply[4]).toMatchObject({ status: "error" });
    expect(String((reply[4].response as { reason: string }).reason)).toMatch(/JWT/);

    // Not JSON, wrong shapes, a message to a topic never joined: the socket stays usable.
    (socket as unknown as { send(frame: unknown): void }).send("{{{");
    socket.send({ nope: true });
    socket.send(["9", "9", "realtime:never-joined", "broadcast", {}]);
    const unmatched = (await socket.waitFor((f) => (f as Frame)[1] === "9", "unmatched reply")) as Frame;
    expect(unmatched[4]).toMatchObject({ status: "error" });
    socket.send([null, "10", "phoenix", "heartbeat", {}]);
    await socket.waitFor((f) => (f as Frame)[1] === "10", "heartbeat after garbage");
  });
});
