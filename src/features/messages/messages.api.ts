import { action, query } from "@solidjs/router";
import type { FeedCursor } from "~/lib/domain/messages";
import type { SignalClaim } from "~/lib/domain/realtime-topics";

// Server code is imported inside each "use server" body: the feed page's client bundle must hold
// only RPC stubs (it already carries the Realtime client).

/** A page of the public feed, newest first; `before` pages back through (created_at, id). */
export const getFeed = query(async (before: FeedCursor | null) => {
  "use server";
  return (await import("~/server/messages/loaders")).getFeed(before);
}, "getFeed");

/** What changed since a client's cursor: new messages and later edits or deletions (for catch-up). */
export async function getChangesSince(cursor: FeedCursor | null, changedSince: string | null) {
  "use server";
  return (await import("~/server/messages/loaders")).getChangesSince(cursor, changedSince);
}

/** Usernames for authors a live event mentions that this page has not seen yet. */
export async function getUsernames(ids: string[]) {
  "use server";
  return (await import("~/server/messages/loaders")).getUsernames(ids);
}

/** A ticket that names the signed-in user on signal topics (presence, typing), for minutes. */
export async function getSignalTicket() {
  "use server";
  return (await import("~/server/messages/loaders")).getSignalTicket();
}

/** Names of the users whose presence or typing tickets the server signed; others are left out. */
export async function getSignalNames(entries: SignalClaim[]) {
  "use server";
  return (await import("~/server/messages/loaders")).getSignalNames(entries);
}

/**
 * A short-lived access token for the browser's Realtime connection. Session cookies are httpOnly,
 * so this is the only way page JavaScript gets a token; it never gets the refresh token.
 */
export async function getRealtimeAccess() {
  "use server";
  return (await import("~/server/messages/realtime-access")).getRealtimeAccess();
}

export const getConversation = query(async (username: string) => {
  "use server";
  return (await import("~/server/messages/loaders")).getConversation(username);
}, "getConversation");

export const getModerationQueue = query(async () => {
  "use server";
  return (await import("~/server/messages/loaders")).getModerationQueue();
}, "getModerationQueue");

export const sendMessage = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/messages/actions")).sendMessage(form);
}, "sendMessage");

export const editMessage = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/messages/actions")).editMessage(form);
}, "editMessage");

export const deleteMessage = action(async (form: FormData) => {
  "use server";
  return (await import("~/server/messages/actions")).deleteMessage(form);
}, "deleteMessage");
