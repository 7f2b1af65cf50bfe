-- Claims admin from the session role only (ADR 0019, superseding part of ADR 0012).
--
-- The rls_client login (DATABASE_URL) sets request.jwt.claims itself, with whatever it likes in
-- them: claims are the app's word about who the user is, not a proof. The earlier version also
-- accepted `app_metadata.claims_admin: true` from an authenticated context, so anyone holding
-- DATABASE_URL could forge that claim and write user_role for any user. Now only what a
-- connection cannot set for itself counts: the role it is running as (SET ROLE checks membership,
-- and rls_client is a member of anon and authenticated only) or its login role.

create or replace function public.is_claims_admin()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- Inside SECURITY DEFINER current_user is the owner, so the caller's role is read from the
  -- `role` setting, which only SET ROLE / set_config('role') change (after the same membership
  -- check), falling back to the login role. No claim is consulted.
  caller text := coalesce(nullif(current_setting('role', true), 'none'), session_user);
begin
  return caller in ('service_role', 'postgres')
    or exists (select 1 from pg_catalog.pg_roles where rolname = caller and rolsuper);
end
$$;

comment on function public.is_claims_admin() is
  'True only when the caller runs as service_role, postgres or a superuser; claims never make an admin.';

-- set_claim / delete_claim check is_claims_admin() themselves; EXECUTE for the app's roles is
-- taken away as well, so an authenticated context is refused before the function body runs.
revoke execute on function public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text)
  from public, anon, authenticated;
grant execute on function public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text)
  to service_role;
