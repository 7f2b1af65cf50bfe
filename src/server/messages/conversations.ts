import { and, asc, ne, sql } from "drizzle-orm";
import {
  type ConversationSummary,
  CONVERSATIONS_LISTED,
  PREVIEW_LENGTH,
  UNREAD_COUNT_CAP,
  USER_SEARCH_RESULTS,
} from "~/lib/domain/conversations";
import type { RlsTransaction } from "~/server/db/client";
import { profiles } from "~/server/db/schema";

interface SummaryRow extends Record<string, unknown> {
  partner_id: string;
  partner_name: string;
  preview: string;
  removed: boolean;
  from_me: boolean;
  last_at: string;
  unread: number;
}

/**
 * The signed-in user's conversations, most recent first: the newest message with each partner and
 * how many of the partner's messages came after the user's read marker (ADR 0038). The explicit
 * `me` filters only let the indexes work; the messages policy alone decides what is readable.
 */
export async function conversationSummaries(tx: RlsTransaction, me: string): Promise<ConversationSummary[]> {
  const rows = await tx.execute<SummaryRow>(sql`
    with direct as (
      select case when author_id = ${me} then recipient_id else author_id end as partner_id,
             id, author_id, body, created_at, deleted_at
        from public.messages
       where recipient_id is not null and (author_id = ${me} or recipient_id = ${me})
    ), latest as (
      select distinct on (partner_id) * from direct order by partner_id, created_at desc, id desc
    )
    select latest.partner_id, partner.username as partner_name,
           left(latest.body, ${PREVIEW_LENGTH}) as preview,
           latest.deleted_at is not null as removed,
           latest.author_id = ${me} as from_me,
           to_char(latest.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as last_at,
           (select count(*)::int from (
              select 1 from public.messages unread
               where unread.recipient_id = ${me} and unread.author_id = latest.partner_id
                 and unread.deleted_at is null
                 and unread.created_at > coalesce(marker.last_read_at, '-infinity')
               limit ${UNREAD_COUNT_CAP + 1}) as capped) as unread
      from latest
      join public.profiles partner on partner.id = latest.partner_id
      left join public.conversation_reads marker on marker.user_id = ${me} and marker.partner_id = latest.partner_id
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
export async function markConversationRead(tx: RlsTransaction, me: string, username: string): Promise<boolean> {
  const rows = await tx.execute(sql`
    insert into public.conversation_reads as marker (partner_id)
    select id from public.profiles where username = ${username} and id <> ${me}
    on conflict (user_id, partner_id) do update set last_read_at = greatest(marker.last_read_at, excluded.last_read_at)
    returning partner_id`);
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
