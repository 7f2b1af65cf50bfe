-- A per-user limit on second-factor codes that holds at the Auth API itself (ADR 0042).
--
-- The app's /two-factor form counts its users' wrong codes, but an aal1 access token (a stolen
-- password is enough for one) can post codes straight to /auth/v1/factors/<id>/verify, which
-- hosted GoTrue limits per IP only. GoTrue's MFA verification attempt hook sees every code it
-- has checked: supabase/config.toml's [auth.hook.mfa_verification_attempt] points it here (on
-- hosted projects: Authentication > Hooks, Teams and Enterprise plans only).
--
-- Only wrong codes count: 5 per user per 5 minutes, the app's own limit. After the 5th, every
-- attempt in the window is rejected, right code or not, and GoTrue's answer to "reject" signs
-- the user out on every device, which also ends the guesser's session.

create or replace function public.mfa_verification_attempt_hook(event jsonb)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  -- Not the app's own bucket: a wrong code typed on /two-factor counts in both, once each.
  bucket constant text := 'mfa-verification-attempt:' || (event ->> 'user_id');
  max_failures constant integer := 5;
  window_seconds constant integer := 300;
  failures integer;
begin
  if coalesce((event ->> 'valid')::boolean, false) then
    select r.hits into failures from public.rate_limits r
     where r.key = bucket and r.window_started_at > now() - make_interval(secs => window_seconds);
  else
    -- Counted before the decision, so concurrent guesses cannot pass the limit together; the
    -- failures before this one decide, so the 5th wrong code is still answered as wrong.
    select c.hit_count - 1 into failures from public.consume_rate_limit(bucket, max_failures, window_seconds) c;
  end if;
  if coalesce(failures, 0) >= max_failures then
    return jsonb_build_object(
      'decision', 'reject',
      'message', 'Too many wrong codes. You have been signed out; sign in again in a few minutes.');
  end if;
  return jsonb_build_object('decision', 'continue');
end
$$;

comment on function public.mfa_verification_attempt_hook(jsonb) is
  'Auth hook (mfa_verification_attempt): rejects a user''s codes after 5 wrong ones in 5 minutes; GoTrue calls it as supabase_auth_admin.';

-- GoTrue calls the hook as supabase_auth_admin, and nothing else may: an API role calling it
-- could fill another user's bucket and lock them out.
revoke execute on function public.mfa_verification_attempt_hook(jsonb) from public, anon, authenticated, service_role;
grant usage on schema public to supabase_auth_admin;
grant execute on function public.mfa_verification_attempt_hook(jsonb) to supabase_auth_admin;

-- The app's own limit on /two-factor counts wrong codes only as well: it takes an attempt before
-- checking the code (so concurrent posts cannot pass the limit together) and gives it back when
-- the code was not wrong.
create or replace function public.refund_rate_limit(bucket text, window_seconds integer)
returns void
language sql
volatile
set search_path = ''
as $$
  update public.rate_limits r set hits = greatest(r.hits - 1, 0)
   where r.key = bucket and r.window_started_at > now() - make_interval(secs => window_seconds)
$$;

comment on function public.refund_rate_limit(text, integer) is
  'Gives back one hit taken by consume_rate_limit in the current window (an attempt that turned out not to count).';

revoke execute on function public.refund_rate_limit(text, integer) from public, anon, authenticated, service_role;
grant execute on function public.refund_rate_limit(text, integer) to service_role;
