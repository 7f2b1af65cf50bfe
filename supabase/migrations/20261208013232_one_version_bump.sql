-- public.app_metadata_version (ADR 0014) and public.session_revocation_version (ADR 0035) are
-- moved the same way, so one trigger function moves both (ADR 0052): each trigger names the
-- one-row table it moves. Same owner, security definer, empty search_path and EXECUTE grants (none
-- to any API role) as the two functions it replaces.
create or replace function public.bump_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- A statement-level trigger moves the version once per statement, and not at all when the
  -- statement changed no row: a global sign-out deleting ten sessions is one change, a sign-out of
  -- a session that was already gone none. It must name its transition table changed_rows. The
  -- nested IF matters: a row-level trigger never reaches, so never plans, the query on it.
  if tg_level = 'STATEMENT' then
    if not exists (select 1 from changed_rows) then
      return null;
    end if;
  end if;
  execute format('update public.%I set version = version + 1 where singleton', tg_argv[0]);
  return null;
end
$$;

comment on function public.bump_version() is
  'Trigger function: moves the version of the one-row table its trigger names (app_metadata_version, session_revocation_version).';

revoke execute on function public.bump_version() from public, anon, authenticated, service_role;

create or replace trigger on_auth_user_app_metadata_changed
  after update of raw_app_meta_data on auth.users
  for each row
  when (old.raw_app_meta_data is distinct from new.raw_app_meta_data)
  execute function public.bump_version('app_metadata_version');

create or replace trigger on_auth_user_deleted_app_metadata
  after delete on auth.users
  for each row
  execute function public.bump_version('app_metadata_version');

create or replace trigger on_auth_sessions_deleted
  after delete on auth.sessions
  referencing old table as changed_rows
  for each statement
  execute function public.bump_version('session_revocation_version');

drop function public.bump_app_metadata_version();
drop function public.bump_session_revocation_version();
