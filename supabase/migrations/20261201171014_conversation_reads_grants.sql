-- Grants for the read markers of direct conversations (ADR 0038), explicit as every table's are
-- (ADR 0019): nothing for anon or service_role; the signed-in user reads and creates their own rows
-- (the policies say whose) and moves only the time of an existing one, never its owner or partner.
revoke all on table public.conversation_reads from anon, authenticated, service_role;
grant select, insert on table public.conversation_reads to authenticated;
grant update (last_read_at) on table public.conversation_reads to authenticated;

comment on table public.conversation_reads is
  'Per user and conversation partner: when the user last opened the conversation; unread = the partner''s messages since.';
