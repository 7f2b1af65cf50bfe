-- Rules the schema file cannot express: triggers, column-level grants, Realtime membership.
--
-- Supabase grants ALL on every new public table to anon and authenticated and lets RLS decide.
-- RLS does not cover TRUNCATE, and a table-wide UPDATE grant would let users rewrite columns the
-- policies do not look at (author_id, created_at, ...), so both are narrowed here.

comment on table public.profiles is 'One row per auth user, created by a trigger on auth.users.';
comment on table public.messages is
  'Feed messages: public, direct (recipient_id) or announcements (moderators). Deleted ones stay as tombstones.';
comment on table public.countries is 'Reference data readable by moderators only (the RLS matrix example).';
comment on table public.admin_audit_log is 'Administrative actions; admin connection only.';
comment on table public.rate_limits is 'Fixed-window counters for auth rate limits; admin connection only.';

-- Profiles -------------------------------------------------------------------------------------

-- Sign-up must never fail because of the profile (GoTrue inserts into auth.users and this runs in
-- the same transaction), so every path ends in a usable username or, at worst, a warning.
create or replace function public.handle_new_user()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  wanted text := lower(coalesce(new.raw_user_meta_data ->> 'username', ''));
  base text := left(
    btrim(regexp_replace(lower(split_part(coalesce(new.email, ''), '@', 1)), '[^a-z0-9_]+', '_', 'g'), '_'),
    25);
  candidate text;
begin
  begin
    if wanted ~ '^[a-z0-9_]{3,32}$' then
      insert into public.profiles (id, username, username_set) values (new.id, wanted, true)
      on conflict do nothing;
      if found then
        return new;
      end if;
    end if;
    if char_length(base) < 3 then
      base := 'user';
    end if;
    candidate := base;
    for attempt in 1..20 loop
      insert into public.profiles (id, username) values (new.id, candidate)
      on conflict do nothing;
      if found or exists (select 1 from public.profiles where id = new.id) then
        return new;
      end if;
      candidate := base || '_' || substr(md5(new.id::text || attempt::text || clock_timestamp()::text), 1, 6);
    end loop;
    raise warning 'handle_new_user: no free username for user %', new.id;
  exception when others then
    raise warning 'handle_new_user: profile for user % not created: %', new.id, sqlerrm;
  end;
  return new;
end
$$;

comment on function public.handle_new_user() is
  'Trigger: creates the profile of a new auth user with a valid, unique username; never fails the sign-up.';

create or replace trigger on_auth_user_created
  after insert on auth.users
  for each row execute function public.handle_new_user();

create or replace function public.profiles_before_update()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if new.username is distinct from old.username then
    new.username_set := true;
  end if;
  new.updated_at := now();
  return new;
end
$$;

comment on function public.profiles_before_update() is
  'Trigger: a changed username counts as chosen by the user; keeps updated_at current.';

create or replace trigger profiles_before_update
  before update on public.profiles
  for each row execute function public.profiles_before_update();

revoke insert, update, delete, truncate, references, trigger on public.profiles from anon, authenticated;
grant update (username) on public.profiles to authenticated;

-- Messages -------------------------------------------------------------------------------------

-- For app users (anon/authenticated) the server owns the timestamps, a tombstone is final and only
-- the author may change the text; a moderator's update can only delete. The admin connection may
-- backdate rows (seed data) but still gets the tombstone rule that empties the body.
create or replace function public.messages_before_write()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  app_user constant boolean := current_user in ('anon', 'authenticated');
begin
  if tg_op = 'INSERT' then
    if app_user then
      new.created_at := now();
      new.edited_at := null;
      new.deleted_at := null;
    end if;
    return new;
  end if;

  if old.deleted_at is not null and app_user then
    raise exception 'message % is deleted', old.id using errcode = '55000';
  end if;
  if new.deleted_at is not null then
    new.deleted_at := coalesce(old.deleted_at, now());
    new.body := '';
    new.edited_at := old.edited_at;
  elsif new.body is distinct from old.body then
    if app_user and old.author_id is distinct from auth.uid() then
      raise exception 'only the author can edit a message' using errcode = '42501';
    end if;
    new.edited_at := now();
  end if;
  return new;
end
$$;

comment on function public.messages_before_write() is
  'Trigger: server-side timestamps, author-only edits, deletion as a final tombstone with an empty body.';

create or replace trigger messages_before_write
  before insert or update on public.messages
  for each row execute function public.messages_before_write();

revoke update, delete, truncate, references, trigger on public.messages from anon, authenticated;
grant update (body, deleted_at) on public.messages to authenticated;

-- Realtime sends UPDATE/DELETE events with the old row only under REPLICA IDENTITY FULL.
alter table public.messages replica identity full;

do $$
begin
  if not exists (
    select 1 from pg_catalog.pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'
  ) then
    alter publication supabase_realtime add table public.messages;
  end if;
end
$$;

-- Countries, audit log, rate limits ----------------------------------------------------------

revoke insert, update, delete, truncate, references, trigger on public.countries from anon, authenticated;
revoke all on public.admin_audit_log, public.rate_limits from anon, authenticated;

create or replace function public.consume_rate_limit(bucket text, max_hits integer, window_seconds integer)
returns table (allowed boolean, hit_count integer, retry_after_seconds integer)
language sql
volatile
set search_path = ''
as $$
  insert into public.rate_limits as r (key, window_started_at, hits)
  values (bucket, now(), 1)
  on conflict (key) do update set
    hits = case when r.window_started_at <= now() - make_interval(secs => window_seconds) then 1 else r.hits + 1 end,
    window_started_at = case
      when r.window_started_at <= now() - make_interval(secs => window_seconds) then now()
      else r.window_started_at end
  returning
    r.hits <= max_hits,
    r.hits,
    greatest(0, ceil(extract(epoch from r.window_started_at + make_interval(secs => window_seconds) - now())))::integer
$$;

comment on function public.consume_rate_limit(text, integer, integer) is
  'Counts one hit on a bucket in a fixed window and says whether it is within max_hits; atomic across app instances.';

revoke execute on function public.consume_rate_limit(text, integer, integer) from public, anon, authenticated;
grant execute on function public.consume_rate_limit(text, integer, integer) to service_role;

revoke execute on function public.handle_new_user(), public.profiles_before_update(), public.messages_before_write()
  from public, anon, authenticated;
