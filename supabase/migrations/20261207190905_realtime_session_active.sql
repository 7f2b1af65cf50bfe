-- Whether the caller's token may use Realtime at all (ADR 0040): its session still exists, belongs
-- to the token's user, and has passed the second factor when that user has one. Realtime honours
-- an access token until it expires, whatever happened to its session, and knows nothing of the
-- app's two-factor rule: an aal1 token got straight from the Auth API with a stolen password
-- would otherwise join the user's conversations. The realtime.messages policies call this in a
-- sub-select (once per statement), so such tokens are refused at every new join and at every
-- token refresh of an open channel. Security definer: authenticated can read neither
-- auth.sessions nor auth.mfa_factors. It answers for the caller's own token only.
create or replace function public.realtime_session_active()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
           select 1 from auth.sessions
            where user_id = (select auth.uid())
              and id = (select case when claim ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                                    then claim::uuid end
                          from (select auth.jwt() ->> 'session_id' as claim) as token)
         )
     and (
           (select auth.jwt() ->> 'aal') = 'aal2'
           or not exists (
             select 1 from auth.mfa_factors
              where user_id = (select auth.uid()) and status = 'verified'
           )
         )
$$;

comment on function public.realtime_session_active() is
  'True when the caller''s JWT names an existing session of its own user that passed the second factor where the user has one. Used by the realtime.messages policies.';

revoke execute on function public.realtime_session_active() from public, anon, authenticated, service_role;
grant execute on function public.realtime_session_active() to authenticated;
