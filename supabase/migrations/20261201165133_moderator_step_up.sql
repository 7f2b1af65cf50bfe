-- Moderator step-up (ADR 0034): a moderator who has a verified second factor moderates only from
-- an aal2 session, and public.moderation_settings can require a factor of every moderator. The
-- policies that grant moderator power call moderator_may_act_at_aal1() in a sub-select, so it runs
-- once per statement, never per row.

insert into public.moderation_settings (singleton, moderators_require_factor) values (true, false) on conflict do nothing;

comment on table public.moderation_settings is
  'One row; moderators_require_factor mirrors the app''s MODERATORS_REQUIRE_FACTOR (the app writes it at start). Read by public.moderator_may_act_at_aal1().';

-- Admin connection and the function below only (ADR 0019).
revoke all on table public.moderation_settings from anon, authenticated, service_role;

-- True when the calling user may use moderator power without an aal2 session: they have no
-- verified factor, and the settings do not require one of every moderator. Security definer:
-- authenticated can read neither auth.mfa_factors nor the settings. It reads the caller's id
-- from the verified claims only and says nothing about any other user.
create or replace function public.moderator_may_act_at_aal1()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select not coalesce((select moderators_require_factor from public.moderation_settings where singleton), false)
     and not exists (
       select 1 from auth.mfa_factors
       where user_id = (select auth.uid()) and status = 'verified'
     )
$$;

comment on function public.moderator_may_act_at_aal1() is
  'Policy helper (ADR 0034): may the calling moderator act from an aal1 session (no verified factor, none required)?';

revoke execute on function public.moderator_may_act_at_aal1() from public, anon, authenticated, service_role;
grant execute on function public.moderator_may_act_at_aal1() to authenticated;
