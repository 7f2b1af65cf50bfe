import { and, eq } from "drizzle-orm";
import * as v from "valibot";
import type { VerifiedClaims } from "~/lib/domain/claims";
import { UUID_PATTERN } from "~/lib/domain/ids";
import { MESSAGE_MAX_LENGTH } from "~/lib/domain/messages";
import { hasRole } from "~/lib/domain/roles";
import { USERNAME_PATTERN } from "~/lib/domain/username";
import { FormError, parseForm } from "~/server/forms";
import { consumeAttempt } from "~/server/db/rate-limit";
import type { RlsRunner } from "~/server/db/client";
import { postgresErrorCode } from "~/server/db/errors";
import { messages, profiles } from "~/server/db/schema";

/**
 * C0 controls (but tab and line breaks), DEL and C1 controls: invisible, and some terminals and
 * log viewers act on them. Bidirectional marks and overrides stay allowed: right-to-left text needs
 * them, and the page renders a message as text, never as markup. (A lone surrogate cannot arrive:
 * form values are USV strings, so it came in as U+FFFD.)
 */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

const Body = v.pipe(
  v.string("Write a message."),
  // Postgres text cannot hold a NUL: without this check the insert fails as a generic error.
  v.check((value) => !value.includes("\u0000"), "Remove the NUL character (U+0000): a message cannot contain it."),
  v.check(
    (value) => !hasControlCharacter(value),
    "Remove the control characters: a message may hold text, tabs and line breaks.",
  ),
  // A form post sends line breaks as CRLF while the textarea's maxlength counted each as one
  // character: counted as sent, a message at the limit with line breaks would be refused.
  v.transform((value) => value.replace(/\r\n?/g, "\n")),
  v.trim(),
  v.nonEmpty("Write a message."),
  v.maxLength(MESSAGE_MAX_LENGTH, `Keep it under ${MESSAGE_MAX_LENGTH} characters.`),
);
const MessageId = v.pipe(v.string(), v.regex(UUID_PATTERN, "That message cannot be sent: reload the page."));

const SendForm = v.object({
  id: MessageId,
  body: Body,
  to: v.optional(v.pipe(v.string(), v.trim(), v.toLowerCase(), v.regex(USERNAME_PATTERN, "No user has that name."))),
  announcement: v.optional(v.literal("on")),
});
const EditForm = v.object({ id: MessageId, body: Body });
const DeleteForm = v.object({ id: MessageId });

const SEND_LIMIT = { action: "send-message", perAccount: 30, windowSeconds: 60 };

/** Postgres refused the row under RLS or a trigger: the user tried something they may not do. */
function isRefusal(error: unknown): boolean {
  const code = postgresErrorCode(error);
  return code === "42501" || code === "55000";
}

export interface SentMessage {
  id: string;
  recipient: string | null;
}

/**
 * Sends as the signed-in user. The id comes from the client, so a retried submission (double
 * click, resent form, lost response) inserts nothing the second time.
 */
export async function insertMessage(claims: VerifiedClaims, rls: RlsRunner, form: FormData): Promise<SentMessage> {
  const input = parseForm(SendForm, form);
  const announcement = input.announcement === "on";
  if (announcement && !hasRole(claims, "moderator")) throw new FormError("Only moderators can post announcements.");
  if (announcement && input.to) throw new FormError("An announcement cannot be a direct message.");
  await consumeAttempt(SEND_LIMIT, `user:${claims.sub}`);
  try {
    return await rls(async (tx) => {
      let recipientId: string | null = null;
      if (input.to) {
        const [recipient] = await tx.select({ id: profiles.id }).from(profiles).where(eq(profiles.username, input.to));
        if (!recipient) throw new FormError("No user has that name.");
        if (recipient.id === claims.sub) throw new FormError("Pick someone other than yourself.");
        recipientId = recipient.id;
      }
      await tx
        .insert(messages)
        .values({ id: input.id, authorId: claims.sub, recipientId, isAnnouncement: announcement, body: input.body })
        .onConflictDoNothing({ target: messages.id });
      const [stored] = await tx.select({ authorId: messages.authorId }).from(messages).where(eq(messages.id, input.id));
      if (stored?.authorId !== claims.sub) throw new FormError("That message cannot be sent: reload the page.");
      return { id: input.id, recipient: input.to ?? null };
    });
  } catch (error) {
    if (isRefusal(error)) throw new FormError("You cannot send that message.");
    throw error;
  }
}

/** Authors edit their own messages; policies and the trigger refuse anything else. */
export async function updateMessageBody(claims: VerifiedClaims, rls: RlsRunner, form: FormData): Promise<void> {
  const input = parseForm(EditForm, form);
  try {
    const updated = await rls((tx) =>
      tx
        .update(messages)
        .set({ body: input.body })
        .where(and(eq(messages.id, input.id), eq(messages.authorId, claims.sub)))
        .returning({ id: messages.id }),
    );
    if (updated.length === 0) throw new FormError("You can only edit your own messages.");
  } catch (error) {
    if (isRefusal(error)) throw new FormError("That message can no longer be edited.");
    throw error;
  }
}

/**
 * Deletion leaves a tombstone (body emptied by the trigger) that stays readable, so Realtime
 * delivers the UPDATE to every open feed and each removes the message (ADR 0013). Authors delete
 * their own messages; moderators delete any public one; policies decide.
 */
export async function tombstoneMessage(rls: RlsRunner, form: FormData): Promise<void> {
  const input = parseForm(DeleteForm, form);
  try {
    const deleted = await rls((tx) =>
      tx
        .update(messages)
        .set({ deletedAt: new Date(), body: "" })
        .where(eq(messages.id, input.id))
        .returning({ id: messages.id }),
    );
    if (deleted.length === 0) throw new FormError("You cannot delete that message.");
  } catch (error) {
    if (isRefusal(error)) throw new FormError("That message is already deleted.");
    throw error;
  }
}
