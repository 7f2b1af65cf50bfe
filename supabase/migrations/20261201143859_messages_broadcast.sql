-- Broadcast from the database (ADR 0031): every insert, edit, tombstone and hard delete of a
-- message goes to the private topic of the people who may read it, in commit order, through
-- Realtime's own realtime.broadcast_changes. Supabase lets apps add nothing to the realtime schema
-- but policies, so the trigger function lives here.
--
-- security definer: the writer (an author, or a moderator tombstoning someone's public message)
-- holds no INSERT policy on realtime.messages for these topics, and must not: an INSERT policy
-- would let any of them forge feed events from the browser. The owner (the migrations' superuser)
-- writes the broadcast row instead. A trigger function is never called directly, and firing a
-- trigger checks no EXECUTE privilege, so nobody is granted one.
create or replace function public.broadcast_message_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed public.messages;
  topic text;
begin
  if tg_op = 'DELETE' then
    changed := old;
  else
    changed := new;
  end if;
  -- Same spellings as src/lib/domain/realtime-topics.ts and the realtime.messages policies;
  -- uuid order is the byte order of the lower-case text the browser sorts.
  if changed.recipient_id is null then
    topic := 'feed:public';
  else
    topic := 'dm:' || least(changed.author_id, changed.recipient_id)::text
             || ':' || greatest(changed.author_id, changed.recipient_id)::text;
  end if;
  perform realtime.broadcast_changes(topic, 'message', tg_op, tg_table_name, tg_table_schema, new, old);
  return null;
end
$$;

revoke all on function public.broadcast_message_change() from public, anon, authenticated, service_role;

comment on function public.broadcast_message_change() is
  'Trigger: broadcasts each change of a message to feed:public or dm:<id>:<id> (private Realtime topics).';

create trigger messages_broadcast
after insert or update or delete on public.messages
for each row execute function public.broadcast_message_change();
