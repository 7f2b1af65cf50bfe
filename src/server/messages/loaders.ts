import { redirect } from "@solidjs/router";
import * as v from "valibot";
import { compactMessage, USERNAMES_PER_REQUEST } from "~/lib/domain/messages";
import { hasRole } from "~/lib/domain/roles";
import { Timestamp, UsernameArgument, userFunction, userQuery, Uuid } from "~/server/boundary/server-function";
import { changesSince, conversationWith, publicFeedPage, usernames } from "./feed";
import { signalTicketValid, signSignalTicket } from "./signal-tickets";

/** A keyset position as the feed hands them out; null (or nothing) means the newest end. */
const Cursor = v.nullish(v.object({ createdAt: Timestamp, id: Uuid }, "expected null or a feed cursor { createdAt, id }."), null);

/** A page of the public feed, newest first; `before` pages back through (created_at, id). */
export const getFeed = userQuery("getFeed", v.tuple([Cursor]), async ({ read, claims }, before) => {
  const page = await read((tx) => publicFeedPage(tx, before));
  return {
    messages: page.messages.map(compactMessage),
    older: page.older,
    me: { id: claims.sub, isModerator: hasRole(claims, "moderator") },
  };
});

/** What changed since a client's cursor: new messages and later edits or deletions (for catch-up). */
export const getChangesSince = userFunction(
  "getChangesSince",
  v.tuple([Cursor, v.nullish(Timestamp, null)]),
  ({ read }, cursor, changedSince) => read((tx) => changesSince(tx, cursor, changedSince)),
);

/** Usernames for authors a live event mentions that the page has not seen yet. */
export const getUsernames = userFunction(
  "getUsernames",
  v.tuple([
    v.pipe(
      v.array(Uuid, "expected a list of user ids."),
      v.maxLength(USERNAMES_PER_REQUEST, `ask for at most ${USERNAMES_PER_REQUEST} user ids.`),
    ),
  ]),
  ({ read }, ids) => read((tx) => usernames(tx, ids)),
);

/** A ticket naming the signed-in user on signal topics (presence, typing): see signal-tickets.ts. */
export const getSignalTicket = userFunction("getSignalTicket", ({ admin, claims }) => signSignalTicket(admin, claims.sub));

/**
 * Names of the users whose signal tickets check out: a presence key or a typing event names
 * whoever its sender chose, so the page shows only those the server signed a ticket for.
 */
export const getSignalNames = userFunction(
  "getSignalNames",
  v.tuple([
    v.pipe(
      v.array(
        // Each entry is judged on its own: a presence key or ticket that is not well formed is just
        // not vouched for, so one bad entry on the topic cannot hide everyone else.
        v.object({
          id: v.pipe(v.string("expected a user id."), v.maxLength(64, "expected a user id.")),
          ticket: v.pipe(v.string("expected a ticket."), v.maxLength(200, "expected a ticket.")),
        }),
        "expected a list of { id, ticket }.",
      ),
      v.maxLength(USERNAMES_PER_REQUEST, `ask for at most ${USERNAMES_PER_REQUEST} entries.`),
    ),
  ]),
  async ({ admin, read }, entries) => {
    const checked = await Promise.all(
      entries.map(async ({ id, ticket }) => ((await signalTicketValid(admin, id, ticket)) ? id : null)),
    );
    const vouched = [...new Set(checked.filter((id) => id !== null))];
    return vouched.length ? read((tx) => usernames(tx, vouched)) : {};
  },
);

/** The signed-in user's conversation with `username`; an unknown name goes back to the list. */
export const getConversation = userQuery("getConversation", v.tuple([UsernameArgument]), async ({ read, claims }, username) => {
  const result = await read((tx) => conversationWith(tx, claims.sub, username));
  if (!result) throw redirect("/messages/direct?unknown=1");
  return { ...result, me: { id: claims.sub } };
});

/** The public feed as moderators review it. */
export const getModerationQueue = userQuery(
  "getModerationQueue",
  async ({ read, claims }) => {
    const page = await read((tx) => publicFeedPage(tx, null));
    return { messages: page.messages, me: claims.sub };
  },
  { role: "moderator" },
);
