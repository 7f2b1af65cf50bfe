import { redirect } from "@solidjs/router";
import * as v from "valibot";
import { USERNAMES_PER_REQUEST } from "~/lib/domain/messages";
import { hasRole } from "~/lib/domain/roles";
import { requireRole } from "~/server/auth/guards";
import { serverFunction, serverQuery, Timestamp, Uuid } from "~/server/boundary/server-function";
import { createDrizzleSupabaseClient } from "~/server/db/app-database";
import { changesSince, conversationPartners, conversationWith, publicFeedPage, usernames } from "./feed";
import { requestDatabase } from "./request-database";

/** A keyset position as the feed hands them out; null (or nothing) means the newest end. */
const Cursor = v.nullish(v.object({ createdAt: Timestamp, id: Uuid }, "expected null or a feed cursor { createdAt, id }."), null);

export const feedPage = serverFunction("getFeed", v.tuple([Cursor]), async (before) => {
  const { read, claims } = requestDatabase();
  const page = await read((tx) => publicFeedPage(tx, before));
  return { ...page, me: { id: claims.sub, isModerator: hasRole(claims, "moderator") } };
});

export const changes = serverFunction(
  "getChangesSince",
  v.tuple([Cursor, v.nullish(Timestamp, null)]),
  async (cursor, changedSince) => {
    const { read } = requestDatabase();
    return read((tx) => changesSince(tx, cursor, changedSince));
  },
);

export const usernamesOf = serverFunction(
  "getUsernames",
  v.tuple([
    v.pipe(
      v.array(Uuid, "expected a list of user ids."),
      v.maxLength(USERNAMES_PER_REQUEST, `ask for at most ${USERNAMES_PER_REQUEST} user ids.`),
    ),
  ]),
  async (ids) => {
    const { read } = requestDatabase();
    return read((tx) => usernames(tx, ids));
  },
);

export const conversations = serverQuery("getConversations", async () => {
  const { read, claims } = requestDatabase();
  return read((tx) => conversationPartners(tx, claims.sub));
});

// Any string that is not a username just finds no one; a NUL would reach Postgres as an error.
const UsernameArgument = v.pipe(
  v.string("expected a username."),
  v.maxLength(64, "expected a username."),
  v.check((value) => !value.includes("\u0000") && !/\p{Cs}/u.test(value), "expected a username."),
);

export const conversationPage = serverFunction("getConversation", v.tuple([UsernameArgument]), async (username) => {
  const { read, claims } = requestDatabase();
  const result = await read((tx) => conversationWith(tx, claims.sub, username));
  if (!result) throw redirect("/messages/direct?unknown=1");
  return { ...result, me: { id: claims.sub } };
});

export const moderationQueue = serverQuery("getModerationQueue", async () => {
  const claims = requireRole("moderator");
  const page = await createDrizzleSupabaseClient(claims).read((tx) => publicFeedPage(tx, null));
  return { messages: page.messages, me: claims.sub };
});
