import { RealtimeClient } from "@supabase/realtime-js";

/*
 * The browser's Realtime connection (ADR 0031): Supabase's own client, one socket for every
 * channel of the page, authenticated by short-lived tokens from the server (the session cookies
 * are httpOnly, ADR 0003). Import it dynamically after mount: it is not part of a page's up-front
 * JavaScript (ADR 0015).
 */

/** What the server hands out for Realtime (`getRealtimeAccess`). */
export interface RealtimeAccess {
  url: string;
  apikey: string;
  accessToken: string;
  /** Seconds since the epoch. */
  expiresAt: number;
  /** Whose token it is, and its session: a page leaves when the database says that session ended. */
  userId: string;
  sessionId: string | null;
}

/**
 * Ask for a new token this long before the current one expires. realtime-js asks the `accessToken`
 * callback on every heartbeat (25 s) and the server closes a channel whose token expired without
 * rejoining it, so the token handed over must outlive the next heartbeat by a wide margin.
 */
const RENEW_BEFORE_SECONDS = 120;

let shared: { client: Promise<RealtimeClient>; access: Promise<RealtimeAccess>; users: number } | undefined;

/**
 * A refused call (the session ended, here or on another device) does not throw: SolidStart's
 * client hands back the redirect Response. Kept as the access, it would send `undefined` as the
 * token; throwing instead keeps realtime-js on its last token, which the server stops honouring
 * when it expires (ADR 0035).
 */
async function accessFrom(getAccess: () => Promise<RealtimeAccess>): Promise<RealtimeAccess> {
  const answer: unknown = await getAccess();
  const access = answer as Partial<RealtimeAccess> | null;
  if (typeof access?.accessToken !== "string" || typeof access.expiresAt !== "number")
    throw new Error("No Realtime access: the session has ended");
  return access as RealtimeAccess;
}

async function connect(first: Promise<RealtimeAccess>, getAccess: () => Promise<RealtimeAccess>): Promise<RealtimeClient> {
  let access = await first;
  let renewing: Promise<RealtimeAccess> | undefined;
  const client = new RealtimeClient(`${access.url}/realtime/v1`, {
    params: { apikey: access.apikey },
    accessToken: async () => {
      if (access.expiresAt - Date.now() / 1000 < RENEW_BEFORE_SECONDS) {
        renewing ??= accessFrom(getAccess).finally(() => (renewing = undefined));
        access = await renewing;
      }
      return access.accessToken;
    },
  });
  // Without this the first join of a private channel can leave before the callback answered and
  // be authorized with the publishable key alone (as anon), which the topic policies refuse.
  await client.setAuth();
  return client;
}

/**
 * The page's Realtime client, shared by every channel of the page (feed, presence, typing). Call
 * `release` when a channel is gone: the last one disconnects, so a later page (perhaps another
 * user after signing in again) starts from a fresh token.
 */
export function useRealtime(getAccess: () => Promise<RealtimeAccess>): {
  client: Promise<RealtimeClient>;
  /** The access the socket was opened with. */
  access: Promise<RealtimeAccess>;
  release: () => void;
} {
  const current = (shared ??= (() => {
    const access = accessFrom(getAccess);
    return { client: connect(access, getAccess), access, users: 0 };
  })());
  current.users++;
  current.client.catch(() => {
    if (shared === current) shared = undefined;
  });
  let released = false;
  return {
    client: current.client,
    access: current.access,
    release() {
      if (released) return;
      released = true;
      if (--current.users > 0) return;
      if (shared === current) shared = undefined;
      void current.client.then((client) => client.disconnect()).catch(() => undefined);
    },
  };
}
