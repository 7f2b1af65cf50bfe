/**
 * Issue 7, target 2: JWKS fetches of a cold process under a burst, and key rotation.
 *
 *   npx tsx bench/jwks.ts [--burst=32] [--rounds=3] [--cooldown=30] [--skip-rotation] [--source=worktree|<ref>]
 *
 * Cold burst: a freshly started app process (waited for on a static file, which the middleware
 * skips) gets `burst` concurrent GET /protected with one valid session cookie; the backend counts
 * its JWKS requests. Baseline: the naive middleware (createServerClient + getClaims per request).
 *
 * Rotation (ours only, one fresh process): after the cold burst the backend starts publishing a
 * second key B; a burst with tokens signed by B (a) right away, within the verifier's refetch
 * cooldown, (b) after `cooldown` seconds; then (c) a burst with tokens of a key C that is never
 * published (an attacker's). Expected: (b) exactly one refetch and every request signed in,
 * (a) and (c) no refetch.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeJwt, exportJWK, generateKeyPair, type JWK } from "jose";
import { type AppProcess, backendSigner, readSessionCookie, signIn, startApp, writeSessionCookie } from "./support/app.ts";
import { buildApp, buildVariant } from "./support/build.ts";
import { alternate, median, report } from "./support/report.ts";
import { log, main, options } from "./support/run.ts";
import { JWKS_PATH, type Stack, startStack } from "./support/stack.ts";

const opts = options({ burst: 32, rounds: 3, cooldown: 30, skipRotation: false, source: "worktree" });

interface BurstResult {
  jwks: number;
  /** Other auth API calls the burst caused, "METHOD /path": count. */
  other: Record<string, number>;
  signedIn: number;
  statuses: Record<number, number>;
}

async function burst(stack: Stack, app: AppProcess, cookie: string): Promise<BurstResult> {
  stack.counts.clear();
  const responses = await Promise.all(
    Array.from({ length: opts.burst }, async () => {
      const response = await fetch(`${app.url}/protected`, {
        headers: { cookie, connection: "close" },
        redirect: "manual",
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      return response.status;
    }),
  );
  // Let late backend requests (none expected) arrive before counting.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const statuses: Record<number, number> = {};
  for (const status of responses) statuses[status] = (statuses[status] ?? 0) + 1;
  const other = Object.fromEntries([...stack.counts].filter(([key]) => key !== JWKS_PATH));
  return { jwks: stack.counts.get(JWKS_PATH) ?? 0, other, signedIn: statuses[200] ?? 0, statuses };
}

function describeBurst(result: BurstResult): string {
  const other =
    Object.entries(result.other)
      .map(([key, count]) => `${key} x${count}`)
      .join(", ") || "none";
  return `${result.jwks} JWKS fetches, ${result.signedIn}/${opts.burst} signed in (statuses ${JSON.stringify(result.statuses)}), other auth calls: ${other}`;
}

/** The session in a Cookie header, with its access token re-signed by `key`. */
async function cookieSignedWith(stack: Stack, cookie: string, key: { privateJwk: JWK; kid: string }): Promise<string> {
  const stored = await readSessionCookie(cookie);
  const sign = await backendSigner(stack, key);
  stored.session.access_token = await sign(decodeJwt(stored.session.access_token));
  return writeSessionCookie(stored);
}

async function newKey(): Promise<{ kid: string; privateJwk: JWK; publicJwk: JWK }> {
  const pair = await generateKeyPair("ES256", { extractable: true });
  const kid = randomUUID();
  return {
    kid,
    privateJwk: { ...(await exportJWK(pair.privateKey)), kid, alg: "ES256" },
    publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" },
  };
}

await main(420, async () => {
  const stack = await startStack(3);
  const [appDir, variantDir] = await Promise.all([buildApp({ source: opts.source, label: "app" }), buildVariant(opts.source)]);
  const [port0, portCold] = stack.appPorts as [number, number];
  const warm = await startApp(stack, appDir, port0);
  const cookie = await signIn(warm.url);
  await warm.stop();

  // Cold bursts, each on a fresh process: naive A, ours B, alternated.
  const cold = await alternate(["naive", "ours"] as const, opts.rounds, async (variant, warmup) => {
    if (warmup) return null;
    const app =
      variant === "ours"
        ? await startApp(stack, appDir, portCold)
        : await startApp(stack, variantDir, portCold, { BENCH_SESSION_MIDDLEWARE: "naive" });
    try {
      const result = await burst(stack, app, cookie);
      log(`cold burst, ${variant}: ${describeBurst(result)}`);
      return result;
    } finally {
      await app.stop();
    }
  });
  const fetches = (variant: "naive" | "ours") => median(cold[variant].map((result) => result?.jwks ?? NaN));
  const maxFetches = Math.max(...cold.ours.map((result) => result?.jwks ?? NaN));
  const allSignedIn = cold.ours.every((result) => result?.signedIn === opts.burst);
  console.log(
    `\nCold process, burst of ${opts.burst} concurrent GET /protected with a valid session, ${opts.rounds} fresh processes each:`,
  );
  report({
    name: "T2 JWKS fetches per cold process",
    baselineLabel: "naive getClaims",
    baseline: fetches("naive"),
    ours: fetches("ours"),
    unit: "",
    target: "exactly 1 (every run), all signed in",
    met: maxFetches === 1 && Math.min(...cold.ours.map((result) => result?.jwks ?? NaN)) === 1 && allSignedIn,
  });

  if (opts.skipRotation) return;
  const current = JSON.parse(await readFile(join(stack.stateDir, "auth-keys.json"), "utf8")) as { kid: string; publicJwk: JWK };
  const published = (await (await fetch(`${stack.backend.apiUrl}/auth/v1/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  const app = await startApp(stack, appDir, portCold);
  const first = await burst(stack, app, cookie);
  log(`rotation: cold burst with key A: ${describeBurst(first)}`);
  const rotated = await newKey();
  stack.jwksOverride = { keys: [...published.keys, rotated.publicJwk] };
  const cookieB = await cookieSignedWith(stack, cookie, rotated);
  const early = await burst(stack, app, cookieB);
  log(`rotation: key B within the refetch cooldown: ${describeBurst(early)}`);
  log(`rotation: waiting ${opts.cooldown + 1} s for the verifier's refetch cooldown`);
  await new Promise((resolve) => setTimeout(resolve, (opts.cooldown + 1) * 1000));
  const late = await burst(stack, app, cookieB);
  log(`rotation: key B after the cooldown: ${describeBurst(late)}`);
  const unknown = await burst(stack, app, await cookieSignedWith(stack, cookie, await newKey()));
  log(`rotation: never-published key C right after: ${describeBurst(unknown)}`);
  const stillA = await burst(stack, app, cookie);
  log(`rotation: key A again: ${describeBurst(stillA)}`);
  await app.stop();
  console.log(`\nKey rotation on one process (current kid ${current.kid.slice(0, 8)}…, new kid ${rotated.kid.slice(0, 8)}…):`);
  console.log(`   new kid B within cooldown:  ${early.jwks} refetches, ${early.signedIn}/${opts.burst} signed in`);
  console.log(`   new kid B after ${opts.cooldown} s:      ${late.jwks} refetches, ${late.signedIn}/${opts.burst} signed in`);
  console.log(`   unknown kid C (burst):      ${unknown.jwks} refetches, ${unknown.signedIn}/${opts.burst} signed in`);
  report({
    name: "T2 refetch on unknown kid, rate limited",
    baselineLabel: "expected 1 then 0",
    baseline: 1,
    ours: late.jwks + unknown.jwks,
    unit: "fetches",
    target: "B after cooldown: 1 fetch, all signed in; C: 0 fetches",
    met: late.jwks === 1 && late.signedIn === opts.burst && unknown.jwks === 0 && early.jwks === 0,
  });
});
