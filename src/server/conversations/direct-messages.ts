import * as v from "valibot";
import { USER_SEARCH_MAX_INPUT, userSearchPrefix } from "~/lib/domain/conversations";
import { UsernameArgument, userFunction, userQuery } from "~/server/boundary/server-function";
import { conversationSummaries, moveReadMarker, usersByPrefix } from "./queries";

/** The signed-in user's conversations with the newest message and the unread count of each. */
export const getConversationList = userQuery("getConversationList", ({ read, claims }) =>
  read((tx) => conversationSummaries(tx, claims.sub)),
);

const SearchText = v.pipe(
  v.string("expected the search text."),
  v.maxLength(USER_SEARCH_MAX_INPUT, `expected at most ${USER_SEARCH_MAX_INPUT} characters of search text.`),
);

/**
 * Usernames by prefix, as the user types (ADR 0038). Cheap by construction rather than rate
 * limited: a prefix of at least two username characters, a range scan of one index, a handful of
 * rows; text that cannot be a prefix is answered with a hint and no query at all.
 */
export const searchUsers = userQuery("searchUsers", v.tuple([SearchText]), async ({ read, claims }, text) => {
  const asked = userSearchPrefix(text);
  if (!("prefix" in asked)) return { users: [], hint: "hint" in asked ? asked.hint : null };
  const users = await read((tx) => usersByPrefix(tx, claims.sub, asked.prefix));
  return { users, hint: users.length === 0 ? `No username starts with "${asked.prefix}".` : null };
});

/** Opening a conversation marks it read for the signed-in user (and only for them: RLS). */
export const markConversationRead = userFunction(
  "markConversationRead",
  v.tuple([UsernameArgument]),
  async ({ rls, claims }, username) => ({
    marked: await rls((tx) => moveReadMarker(tx, claims.sub, username.toLowerCase())),
  }),
);
