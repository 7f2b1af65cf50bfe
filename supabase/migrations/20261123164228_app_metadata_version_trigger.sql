-- public.app_metadata_version moves whenever any user's app_metadata (custom claims) changes or a
-- user is deleted (ADR 0014). The app reads it at most once a second; while it stands still, a
-- token whose app_metadata matched the database once still matches, so signed-in page views need
-- no per-user database lookup. The bump is part of the changing transaction: a reader sees the
-- new version only together with the new app_metadata.

insert into public.app_metadata_version (singleton, version) values (true, 0) on conflict do nothing;

comment on table public.app_metadata_version is
  'One row; version is bumped by a trigger on auth.users when raw_app_meta_data changes or a user is deleted. Read by the app''s session middleware.';

-- Supabase's default privileges give anon and authenticated every table in public (RLS, with no
-- policy, already hides the row from them); nobody but the trigger and the admin connection has
-- any business with this one.
revoke all on table public.app_metadata_version from anon, authenticated, service_role;

create or replace function public.bump_app_metadata_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.app_metadata_version set version = version + 1 where singleton;
  return null;
end
$$;

comment on function public.bump_app_metadata_version() is
  'Trigger function: moves public.app_metadata_version (see that table).';

revoke execute on function public.bump_app_metadata_version() from public, anon, authenticated, service_role;

-- GoTrue may write raw_app_meta_data unchanged (e.g. on sign-in): only a real change counts.
create trigger on_auth_user_app_metadata_changed
  after update of raw_app_meta_data on auth.users
  for each row
  when (old.raw_app_meta_data is distinct from new.raw_app_meta_data)
  execute function public.bump_app_metadata_version();

create trigger on_auth_user_deleted_app_metadata
  after delete on auth.users
  for each row
  execute function public.bump_app_metadata_version();
