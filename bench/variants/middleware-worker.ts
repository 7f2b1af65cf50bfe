/**
 * One process of bench/session-revocation.ts: it loads updateSession() from the src/ next to it
 * (the project's, or a temporary copy whose session check is patched out) and measures it on
 * request, so two builds of the middleware run side by side against the same database.
 * Messages: {setup: {env, cookie, userCookies}} -> "ready"; {measure, seconds, inFlight} -> {wall, cpu}.
 */
import type { FetchEvent } from "@solidjs/start/server";

type Variant = "one user" | "many users";
type Message =
  | { setup: { env: Record<string, string>; cookie: string; userCookies: string[] } }
  | { measure: Variant; seconds: number; inFlight: number };

const send = (message: unknown) => process.send?.(message);
let run: Record<Variant, () => Promise<void>> | undefined;

async function setup({ env, cookie, userCookies }: { env: Record<string, string>; cookie: string; userCookies: string[] }) {
  Object.assign(process.env, env);
  // After the environment is in place: serverEnv() reads it once.
  const { updateSession } = await import("../../src/server/session/session.ts");
  const url = "http://127.0.0.1:3000/";
  const once = async (cookieHeader: string) => {
    const event = {
      request: new Request(url, { headers: { cookie: cookieHeader } }),
      locals: {},
      nativeEvent: { node: { req: { headers: { cookie: cookieHeader } } } },
    } as unknown as FetchEvent;
    await updateSession(event);
    if (!event.locals.auth.claims) throw new Error("not signed in");
  };
  let next = 0;
  run = {
    "one user": () => once(cookie),
    "many users": () => once(userCookies[next++ % userCookies.length] ?? ""),
  };
  await run["one user"]();
  // Every user's token verified (and, with the check, every session looked up) once before.
  for (let i = 0; i < userCookies.length; i++) await run["many users"]();
}

/** `inFlight` requests at a time, as a server with that many open connections handles them. */
async function measure(variant: Variant, seconds: number, inFlight: number) {
  const op = run?.[variant];
  if (!op) throw new Error("measure before setup");
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let count = 0;
  while (process.hrtime.bigint() < end) {
    if (inFlight > 1) {
      await Promise.all(Array.from({ length: inFlight }, op));
      count += inFlight;
    } else {
      for (let i = 0; i < 20; i++) await op();
      count += 20;
    }
  }
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - start) / 1e3 / count, cpu: (used.user + used.system) / count };
}

process.on("message", (message: Message) => {
  const work =
    "setup" in message ? setup(message.setup).then(() => "ready") : measure(message.measure, message.seconds, message.inFlight);
  work.then(send, (error: Error) => send({ error: error.stack ?? error.message }));
});
