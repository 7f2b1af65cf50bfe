/**
 * Issue 7, target 1, in isolation: what the session middleware costs per request, measured in
 * this process on the app's own updateSession() with a stand-in request event. Unlike the
 * end-to-end SSR figures this is stable on a busy machine (one thread, no network, no HTML).
 *
 *   npx tsx bench/middleware.ts [--rounds=5] [--duration=1] [--only=<variant>]
 *
 *   off        what a disabled middleware still does (parse Cookie, put an anonymous auth on locals)
 *   ours       updateSession() with a valid session cookie (claims cached after the first request)
 *   ours, many users  updateSession() with the sessions of `users` users in turn (tokens verified
 *              before; each user back only every few seconds, as with real visitors)
 *   ours, new token   updateSession() with a token it has never seen (a full local verification)
 *   jose       jwtVerify with a pre-imported public key (the issue's 165 µs reference)
 *   naive      createServerClient + auth.getClaims() per request (the issue's 740 µs anchor)
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FetchEvent } from "@solidjs/start/server";
import { createChunks, stringToBase64URL } from "@supabase/ssr";
import { createRemoteJWKSet, decodeJwt, importJWK, type JWK, jwtVerify, SignJWT } from "jose";
import { manyUserCookies } from "./support/app.ts";
import { alternate, median, report } from "./support/report.ts";
import { log, main, options } from "./support/run.ts";
import { appEnv, startStack } from "./support/stack.ts";

const opts = options({ rounds: 5, duration: 1, warmup: 1, only: "", users: 8000 });

await main(240, async () => {
  const stack = await startStack(1);
  const env = appEnv(stack);
  Object.assign(process.env, env);
  // The app's modules, loaded after the environment is in place (serverEnv() reads it once).
  const { updateSession } = await import("../src/server/session/session.ts");
  const { RequestCookies, sessionCookieName } = await import("../src/server/session/session-cookies.ts");
  const { createRequestClient } = await import("../src/server/session/supabase.ts");

  // A real session from the backend, stored the way @supabase/ssr stores it.
  const response = await fetch(`${stack.backend.apiUrl}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { apikey: stack.backend.publishableKey, "content-type": "application/json" },
    body: JSON.stringify({ email: "bob@example.com", password: "password123" }),
  });
  if (!response.ok) throw new Error(`sign-in: ${response.status} ${await response.text()}`);
  const session = (await response.json()) as { access_token: string; [key: string]: unknown };
  const storageKey = sessionCookieName(stack.backend.apiUrl);
  const cookieFor = (value: object) =>
    createChunks(storageKey, `base64-${stringToBase64URL(JSON.stringify(value))}`)
      .map((chunk) => `${chunk.name}=${chunk.value}`)
      .join("; ");
  const cookie = cookieFor(session);
  log(`session cookie: ${cookie.length} B`);

  // Fresh, validly signed tokens for the "never seen" variant (distinct by jti).
  const keyFile = JSON.parse(await readFile(join(stack.stateDir, "auth-keys.json"), "utf8")) as {
    kid: string;
    privateJwk: JWK;
    publicJwk: JWK;
  };
  const privateKey = await importJWK(keyFile.privateJwk, "ES256");
  const publicKey = await importJWK(keyFile.publicJwk, "ES256");
  const claims = decodeJwt(session.access_token);
  const freshCookies: string[] = [];
  const freshCount = Math.ceil(opts.duration * (opts.rounds + 1) * 8000);
  for (let i = 0; i < freshCount; i++) {
    const token = await new SignJWT({ ...claims, jti: `bench-${i}` })
      .setProtectedHeader({ alg: "ES256", kid: keyFile.kid, typ: "JWT" })
      .sign(privateKey);
    freshCookies.push(cookieFor({ ...session, access_token: token }));
  }
  let fresh = 0;

  // Many users: each op another user's (already verified) token; a user comes back only every
  // users/ops-per-second seconds, longer than any per-user time-to-live cache would keep them.
  const userCookies = opts.users ? await manyUserCookies(stack, cookie, opts.users) : [];
  let nextUser = 0;

  const url = "http://127.0.0.1:3000/";
  const eventFor = (cookieHeader: string) =>
    ({
      request: new Request(url, { headers: { cookie: cookieHeader } }),
      locals: {},
      nativeEvent: { node: { req: { headers: { cookie: cookieHeader } } } },
    }) as unknown as FetchEvent;

  const issuer = `${stack.backend.apiUrl}/auth/v1`;
  const remote = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  await remote({ alg: "ES256", kid: keyFile.kid });

  type Variant = "off" | "ours" | "ours, many users" | "ours, new token" | "jose" | "naive";
  const ops: Record<Variant, () => Promise<unknown>> = {
    off: async () => {
      const event = eventFor(cookie);
      const cookies = new RequestCookies(event);
      event.locals.auth = { claims: null, secondFactorPending: false, cookies, supabase: undefined as never };
    },
    ours: async () => {
      const event = eventFor(cookie);
      await updateSession(event);
      if (!event.locals.auth.claims) throw new Error("ours: not signed in");
    },
    "ours, new token": async () => {
      const event = eventFor(freshCookies[fresh++ % freshCookies.length] ?? "");
      await updateSession(event);
      if (!event.locals.auth.claims) throw new Error("ours, new token: not signed in");
    },
    "ours, many users": async () => {
      const event = eventFor(userCookies[nextUser++ % userCookies.length] ?? "");
      await updateSession(event);
      if (!event.locals.auth.claims) throw new Error("ours, many users: not signed in");
    },
    jose: async () => {
      await jwtVerify(session.access_token, publicKey, { issuer, audience: "authenticated", algorithms: ["ES256"] });
    },
    naive: async () => {
      const event = eventFor(cookie);
      const cookies = new RequestCookies(event);
      const supabase = createRequestClient(cookies, new URL(url));
      const { data } = await supabase.auth.getClaims();
      if (!data?.claims) throw new Error("naive: not signed in");
    },
  };
  for (const [variant, op] of Object.entries(ops)) if (variant !== "ours, many users" || userCookies.length) await op();
  // Verify every user's token once: the runs then see known tokens, unseen for a while.
  for (let i = 0; i < userCookies.length; i++) await ops["ours, many users"]();
  log(`${userCookies.length} user sessions primed`);

  const measure = async (variant: Variant, warmup: boolean) => {
    const op = ops[variant];
    const end = process.hrtime.bigint() + BigInt((warmup ? opts.warmup : opts.duration) * 1e9);
    const cpu = process.cpuUsage();
    const start = process.hrtime.bigint();
    let count = 0;
    while (process.hrtime.bigint() < end) {
      for (let i = 0; i < 20; i++) await op();
      count += 20;
    }
    const wall = Number(process.hrtime.bigint() - start) / 1e3 / count;
    const used = process.cpuUsage(cpu);
    const result = { wall, cpu: (used.user + used.system) / count };
    log(`${warmup ? "warm-up " : ""}${variant}: ${result.wall.toFixed(1)} µs/op wall, ${result.cpu.toFixed(1)} µs/op CPU`);
    return result;
  };
  const variants: Variant[] = ["off", "ours", ...(userCookies.length ? (["ours, many users"] as const) : []), "jose", "naive"];
  if (opts.only) {
    // For profiling one path: node --cpu-prof --import tsx bench/middleware.ts --only=ours
    const variant = [...variants, "ours, new token" as const].find((name) => name === opts.only);
    if (!variant) throw new Error(`--only must be one of ${[...variants, "ours, new token"].join(", ")}`);
    for (let round = 0; round < opts.rounds; round++) await measure(variant, false);
    return;
  }
  const runs = await alternate(variants, opts.rounds, measure);
  // Last: fresh tokens fill the verified-token cache, which would evict the many users' tokens.
  runs["ours, new token"] = [];
  for (let round = 0; round < opts.rounds; round++) runs["ours, new token"].push(await measure("ours, new token", false));
  const us = (variant: Variant) => median(runs[variant].map((run) => run.wall));
  const extra = (variant: Variant) => us(variant) - us("off");

  console.log(
    `\nSession middleware in-process, ${opts.rounds} x ${opts.duration} s per variant, alternated, medians (µs per request):`,
  );
  report({
    name: "T1 middleware, valid session (cached claims)",
    baselineLabel: "off",
    baseline: us("off"),
    ours: us("ours"),
    unit: "µs",
    target: "overhead <= 150 µs",
    met: extra("ours") <= 150,
  });
  if (userCookies.length) {
    report({
      name: `   middleware, ${userCookies.length} users in turn (each back every few seconds)`,
      baselineLabel: "off",
      baseline: us("off"),
      ours: us("ours, many users"),
      unit: "µs",
    });
  }
  report({
    name: "   middleware, never-seen token (full verify)",
    baselineLabel: "off",
    baseline: us("off"),
    ours: us("ours, new token"),
    unit: "µs",
  });
  report({
    name: "   anchor: createServerClient + getClaims",
    baselineLabel: "jose jwtVerify, key imported",
    baseline: us("jose"),
    ours: us("naive"),
    unit: "µs",
  });
  console.log(
    `   overhead vs off: ours ${extra("ours").toFixed(1)} µs${userCookies.length ? `, many users ${extra("ours, many users").toFixed(1)} µs` : ""}, new token ${extra("ours, new token").toFixed(1)} µs, naive ${extra("naive").toFixed(1)} µs, jose ${us("jose").toFixed(1)} µs`,
  );
});
