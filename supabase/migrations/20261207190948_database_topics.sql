-- Database topics carry facts, and only facts the reader may keep (ADR 0040, docs/threat-model.md).

-- Messages -----------------------------------------------------------------------------------
-- realtime.broadcast_changes sends OLD whole, and Realtime keeps every broadcast in
-- realtime.messages for days, readable by the topic's members. So an UPDATE or DELETE sends only
-- the old row's key (an edit's earlier wording and a deleted body never travel), and the earlier
-- broadcasts of the message lose their text before the new one is written. The owner may update
-- realtime.messages (Supabase grants UPDATE on it to postgres); no API role may.
create or replace function public.broadcast_message_change()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed public.messages;
  old_key public.messages;
  topic_name text;
begin
  if tg_op = 'DELETE' then
    changed := old;
  else
    changed := new;
  end if;
  -- Same spellings as src/lib/domain/realtime-topics.ts and the realtime.messages policies;
  -- uuid order is the byte order of the lower-case text the browser sorts.
  if changed.recipient_id is null then
    topic_name := 'feed:public';
  else
    topic_name := 'dm:' || least(changed.author_id, changed.recipient_id)::text
             || ':' || greatest(changed.author_id, changed.recipient_id)::text;
  end if;
  if tg_op = 'INSERT' then
    perform realtime.broadcast_changes(topic_name, 'message', tg_op, tg_table_name, tg_table_schema, new, old);
    return null;
  end if;
  -- inserted_at is a timestamp without time zone in the writer's zone: a day's margin covers any.
  update realtime.messages as m
     set payload = jsonb_set(m.payload, '{record,body}', '""'::jsonb)
   where m.topic = topic_name
     and m.extension = 'broadcast'
     and m.event = 'message'
     and m.inserted_at >= (old.created_at - interval '1 day')::timestamp
     and m.payload -> 'record' ->> 'id' = old.id::text
     and m.payload -> 'record' ->> 'body' <> '';
  old_key.id := old.id;
  perform realtime.broadcast_changes(topic_name, 'message', tg_op, tg_table_name, tg_table_schema, new, old_key);
  return null;
end
$$;

-- What the earlier trigger already stored: old rows reduced to their key, and bodies that no longer
-- stand (the message was edited, tombstoned or removed) blanked.
update realtime.messages as m
   set payload = jsonb_set(m.payload, '{old_record}', jsonb_build_object('id', m.payload -> 'old_record' -> 'id'))
 where m.extension = 'broadcast' and m.event = 'message' and jsonb_typeof(m.payload -> 'old_record') = 'object';

update realtime.messages as m
   set payload = jsonb_set(m.payload, '{record,body}', '""'::jsonb)
 where m.extension = 'broadcast'
   and m.event = 'message'
   and m.payload -> 'record' ->> 'body' <> ''
   and not exists (
     select 1 from public.messages as current
      where current.id::text = m.payload -> 'record' ->> 'id'
        and current.deleted_at is null
        and current.body = m.payload -> 'record' ->> 'body'
   );

-- Postgres Changes is no longer used for messages: in the publication, every signed-in subscriber
-- of postgres_changes would receive the keys of deleted direct messages (deletes skip RLS).
do $$
begin
  if exists (
    select 1 from pg_catalog.pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'
  ) then
    alter publication supabase_realtime drop table public.messages;
  end if;
end
$$;

-- FULL was for Postgres Changes' old rows; the trigger sees OLD whatever the replica identity.
alter table public.messages replica identity default;

-- A user's own topic -------------------------------------------------------------------------
-- Realtime honours an access token until it expires. The pages of a session that ended (sign-out
-- everywhere, an admin, a deleted user) learn it here within a second and leave; the pages of a
-- user whose roles changed fetch their data again (the middleware refreshes the claims first).
-- Security definer: GoTrue's database role may not write realtime.messages.
create or replace function public.broadcast_sessions_ended()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(jsonb_build_object('session_ids', ended.ids), 'sessions_ended', 'user:' || ended.user_id::text, true)
     from (select user_id, jsonb_agg(id) as ids from removed_sessions group by user_id) as ended;
  return null;
end
$$;

comment on function public.broadcast_sessions_ended() is
  'Trigger: tells user:<id> which of that user''s sessions were deleted (private Realtime topic).';

revoke execute on function public.broadcast_sessions_ended() from public, anon, authenticated, service_role;

create trigger on_auth_sessions_deleted_broadcast
  after delete on auth.sessions
  referencing old table as removed_sessions
  for each statement
  execute function public.broadcast_sessions_ended();

create or replace function public.broadcast_claims_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send('{}'::jsonb, 'claims_changed', 'user:' || new.id::text, true);
  return null;
end
$$;

comment on function public.broadcast_claims_changed() is
  'Trigger: tells user:<id> that the user''s app_metadata (roles) changed (private Realtime topic).';

revoke execute on function public.broadcast_claims_changed() from public, anon, authenticated, service_role;

create trigger on_auth_user_app_metadata_changed_broadcast
  after update of raw_app_meta_data on auth.users
  for each row
  when (old.raw_app_meta_data is distinct from new.raw_app_meta_data)
  execute function public.broadcast_claims_changed();

-- Signal tickets ---------------------------------------------------------------------------
insert into public.signal_ticket_key (singleton) values (true) on conflict do nothing;

comment on table public.signal_ticket_key is
  'One row: the key the app signs presence and typing tickets with. Read by the app''s admin connection only; update it to rotate.';

-- Admin connection only (ADR 0019).
revoke all on table public.signal_ticket_key from anon, authenticated, service_role;
