import { USERNAME_CHARACTERS, USERNAME_MAX_LENGTH } from "./username";

/** One line of /messages/direct: a person, the newest message between us, and what I have not read. */
export interface ConversationSummary {
  partnerId: string;
  partnerName: string;
  /** The newest message's text, cut to PREVIEW_LENGTH; empty when it was removed. */
  preview: string;
  removed: boolean;
  fromMe: boolean;
  /** UTC ISO timestamp of the newest message. */
  lastAt: string;
  /** The partner's messages since I last opened the conversation, counted up to UNREAD_COUNT_CAP + 1. */
  unread: number;
}

/** Conversations listed on /messages/direct. */
export const CONVERSATIONS_LISTED = 200;
/** Characters of the newest message shown in the list (the page never needs the whole body). */
export const PREVIEW_LENGTH = 80;
/** Counting stops above this; the list shows "99+". */
export const UNREAD_COUNT_CAP = 99;

/** Shortest prefix the username search looks up: one letter would list the first of everyone. */
export const USER_SEARCH_MIN_LENGTH = 2;
/** Usernames one search returns. */
export const USER_SEARCH_RESULTS = 8;
/** Longest search text accepted at all; longer is a bad request, not a search. */
export const USER_SEARCH_MAX_INPUT = 64;

const SEARCHABLE = new RegExp(`^[${USERNAME_CHARACTERS}]*$`);

/**
 * What the search box's text asks for: a prefix to look up, or why there is nothing to look up
 * (the page shows that sentence instead of results, with or without JavaScript).
 */
export function userSearchPrefix(text: string): { prefix: string } | { hint: string } | { empty: true } {
  const prefix = text.trim().toLowerCase();
  if (prefix === "") return { empty: true };
  if (!SEARCHABLE.test(prefix)) return { hint: "Usernames have only lowercase letters, digits and underscores." };
  if (prefix.length > USERNAME_MAX_LENGTH) return { hint: `Usernames are at most ${USERNAME_MAX_LENGTH} characters long.` };
  if (prefix.length < USER_SEARCH_MIN_LENGTH) return { hint: `Type at least ${USER_SEARCH_MIN_LENGTH} characters.` };
  return { prefix };
}
