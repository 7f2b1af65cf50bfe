-- public.session_revocation_version moves whenever sessions are deleted from auth.sessions (ADR
-- 0035): sign-out with scope global or others, an admin signing a user out, a deleted user (the
-- foreign key's cascade), the auth server's clean-up of old sessions. Access tokens are verified
-- without asking the auth server, so without this a revoked session's token kept working on other
-- devices until it expired. The app reads the version at most once a second; while it stands
-- still, a session found present once is still present, so page views need no lookup. The bump is
-- part of the deleting transaction: a reader sees the new version only once the rows are gone.

insert into public.session_revocation_version (singleton, version) values (true, 0) on conflict do nothing;

comment on table public.session_revocation_version is
  'One row; version is bumped by a trigger on auth.sessions when sessions are deleted. Read by the app''s session middleware.';

-- Admin connection only (ADR 0019): nothing granted to the API roles, whatever the defaults gave.
revoke all on table public.session_revocation_version from anon, authenticated, service_role;

create or replace function public.bump_session_revocation_version()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  -- Once per statement: a global sign-out deleting ten sessions is one change, and a sign-out of
  -- a session that was already gone (zero rows) is none.
  if exists (select 1 from removed_sessions) then
    update public.session_revocation_version set version = version + 1 where singleton;
  end if;
  return null;
end
$$;

comment on function public.bump_session_revocation_version() is
  'Trigger function: moves public.session_revocation_version (see that table).';

revoke execute on function public.bump_session_revocation_version() from public, anon, authenticated, service_role;

create trigger on_auth_sessions_deleted
  after delete on auth.sessions
  referencing old table as removed_sessions
  for each statement
  execute function public.bump_session_revocation_version();
