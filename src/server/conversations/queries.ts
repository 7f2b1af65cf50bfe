import { and, asc, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import {
  type ConversationSummary,
  CONVERSATIONS_LISTED,
  PREVIEW_LENGTH,
  UNREAD_COUNT_CAP,
  USER_SEARCH_RESULTS,
} from "~/lib/domain/conversations";
import type { RlsTransaction } from "~/server/db/client";
import { fixed, fromAs, isoMicros, nameOf } from "~/server/db/fixed-sql";
import { conversationReads, messages, profiles } from "~/server/db/schema";

interface SummaryRow extends Record<string, unknown> {
  partner_id: string;
  partner_name: string;
  preview: string;
  removed: boolean;
  from_me: boolean;
  last_at: string;
  unread: number;
}

const unread = alias(messages, "unread");
const partner = alias(profiles, "partner");
const marker = alias(conversationReads, "marker");
const FROM = {
  unread: fromAs(messages, unread),
  partner: fromAs(profiles, partner),
  marker: fromAs(conversationReads, marker),
};
const LAST_AT = fixed(isoMicros(sql<Date>`latest.created_at`));

/**
 * The signed-in user's conversations, most recent first: the newest message with each partner and
 * how many of the partner's messages came after the user's read marker (ADR 0038). The explicit
 * `me` filters only let the indexes work; the messages policy alone decides what is readable.
 */
export async function conversationSummaries(tx: RlsTransaction, me: string): Promise<ConversationSummary[]> {
  // `direct` names its columns itself, so the statement below it reads only names it defined.
  const rows = await tx.execute<SummaryRow>(sql`
    with direct as (
      select case when ${messages.authorId} = ${me} then ${messages.recipientId} else ${messages.authorId} end as partner_id,
             ${messages.id} as id, ${messages.authorId} as author_id, ${messages.body} as body,
             ${messages.createdAt} as created_at, ${messages.deletedAt} as deleted_at
        from ${messages}
       where ${messages.recipientId} is not null and (${messages.authorId} = ${me} or ${messages.recipientId} = ${me})
    ), latest as (
      select distinct on (partner_id) * from direct order by partner_id, created_at desc, id desc
    )
    select latest.partner_id, ${partner.username} as partner_name,
           left(latest.body, ${PREVIEW_LENGTH}) as preview,
           latest.deleted_at is not null as removed,
           latest.author_id = ${me} as from_me,
           ${LAST_AT} as last_at,
           (select count(*)::int from (
              select 1 from ${FROM.unread}
               where ${unread.recipientId} = ${me} and ${unread.authorId} = latest.partner_id
                 and ${unread.deletedAt} is null
                 and ${unread.createdAt} > coalesce(${marker.lastReadAt}, '-infinity')
               limit ${UNREAD_COUNT_CAP + 1}) as capped) as unread
      from latest
      join ${FROM.partner} on ${partner.id} = latest.partner_id
      left join ${FROM.marker} on ${marker.userId} = ${me} and ${marker.partnerId} = latest.partner_id
     order by latest.created_at desc, latest.id desc
     limit ${CONVERSATIONS_LISTED}`);
  return rows.map((row) => ({
    partnerId: row.partner_id,
    partnerName: row.partner_name,
    preview: row.preview,
    removed: row.removed,
    fromMe: row.from_me,
    lastAt: row.last_at,
    unread: row.unread,
  }));
}

/**
 * Moves the signed-in user's read marker for the conversation with `username` to now (never
 * back). False when there is no such user. The row's owner is auth.uid() by default and by policy,
 * so nobody can move another user's marker.
 */
export async function moveReadMarker(tx: RlsTransaction, me: string, username: string): Promise<boolean> {
  const rows = await tx.execute(sql`
    insert into ${conversationReads} (${nameOf(conversationReads.partnerId)})
    select ${profiles.id} from ${profiles} where ${profiles.username} = ${username} and ${profiles.id} <> ${me}
    on conflict (${nameOf(conversationReads.userId)}, ${nameOf(conversationReads.partnerId)}) do update
       set ${nameOf(conversationReads.lastReadAt)} = greatest(${conversationReads.lastReadAt}, excluded.${nameOf(conversationReads.lastReadAt)})
    returning ${conversationReads.partnerId}`);
  return rows.length > 0;
}

/**
 * Usernames starting with `prefix` (already checked to hold only username characters), in name
 * order, without the signed-in user. `~>=~` / `~<~` are the byte-wise operators of the
 * text_pattern_ops index, so this is a range scan of it whatever the plan's parameters; '~' sorts
 * after every username character, so the range holds exactly the names with that prefix.
 */
export async function usersByPrefix(tx: RlsTransaction, me: string, prefix: string) {
  return tx
    .select({ id: profiles.id, username: profiles.username })
    .from(profiles)
    .where(and(sql`${profiles.username} ~>=~ ${prefix}`, sql`${profiles.username} ~<~ ${`${prefix}~`}`, ne(profiles.id, me)))
    .orderBy(asc(profiles.username))
    .limit(USER_SEARCH_RESULTS);
}
