-- Whether the session of the caller's token still exists (ADR 0040). Realtime honours an access
-- token until it expires, whatever happened to its session; the realtime.messages policies call
-- this in a sub-select (once per statement), so a signed-out-everywhere, admin-revoked or deleted
-- user's token is refused at every new join and at every token refresh of an open channel.
-- Security definer: authenticated cannot read auth.sessions. It answers for the caller's own
-- token only and says nothing about any other session.
create or replace function public.realtime_session_active()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from auth.sessions
     where id = (select case when claim ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                             then claim::uuid end
                   from (select auth.jwt() ->> 'session_id' as claim) as token)
  )
$$;

comment on function public.realtime_session_active() is
  'True when the session named by the caller''s JWT (session_id) still exists. Used by the realtime.messages policies.';

revoke execute on function public.realtime_session_active() from public, anon, authenticated, service_role;
grant execute on function public.realtime_session_active() to authenticated;
