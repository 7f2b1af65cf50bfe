-- A counter that moves whenever any user's app_metadata (custom claims) changes or a user is
-- deleted (ADR 0014). The app reads it at most once a second; while it stands still, a token whose
-- app_metadata matched the database once still matches, so signed-in page views need no per-user
-- database lookup. A sequence, not a row: concurrent changes never wait on each other, and a bump
-- from a transaction that rolls back only costs a few extra lookups.

create sequence public.app_metadata_changes;

comment on sequence public.app_metadata_changes is
  'Bumped by a trigger on auth.users when raw_app_meta_data changes or a user is deleted; read by the app''s session middleware (last_value).';

-- Supabase's default privileges give anon and authenticated every sequence in public; nobody but
-- the trigger (as its owner) and the admin connection has any business with this one.
revoke all on sequence public.app_metadata_changes from public, anon, authenticated, service_role;

create or replace function public.bump_app_metadata_changes()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform nextval('public.app_metadata_changes');
  return null;
end
$$;

comment on function public.bump_app_metadata_changes() is
  'Trigger function: moves public.app_metadata_changes (see that sequence).';

revoke execute on function public.bump_app_metadata_changes() from public, anon, authenticated, service_role;

-- GoTrue may write raw_app_meta_data unchanged (e.g. on sign-in): only a real change counts.
create trigger on_auth_user_app_metadata_changed
  after update of raw_app_meta_data on auth.users
  for each row
  when (old.raw_app_meta_data is distinct from new.raw_app_meta_data)
  execute function public.bump_app_metadata_changes();

create trigger on_auth_user_deleted_app_metadata
  after delete on auth.users
  for each row
  execute function public.bump_app_metadata_changes();
