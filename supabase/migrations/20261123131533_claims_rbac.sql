-- Custom-claims RBAC (ADR 0012). Claims live in auth.users.raw_app_meta_data, which GoTrue copies
-- into the `app_metadata` of every access token it issues; users cannot write it themselves
-- (PUT /auth/v1/user only touches user_metadata), so app_metadata is safe to authorise on.
--
-- Unlike the widely copied community version, `is_claims_admin()` does NOT treat every session
-- whose session_user is not `authenticator` as an admin: with Drizzle the session user is
-- `rls_client`, which would make every user an admin. Admin is decided from the effective role of
-- the caller, or an explicit `claims_admin: true` claim in a verified token.
--
-- All functions are SECURITY DEFINER with an empty search_path (every name is qualified), so a
-- caller cannot shadow `auth.jwt` or an operator with objects of their own.

create or replace function public.get_my_claims()
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce(nullif(current_setting('request.jwt.claims', true), '')::jsonb -> 'app_metadata', '{}'::jsonb)
$$;

comment on function public.get_my_claims() is
  'app_metadata of the verified JWT of the current request (custom claims), {} without one.';

create or replace function public.get_my_claim(claim text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select public.get_my_claims() -> claim
$$;

comment on function public.get_my_claim(text) is
  'One custom claim of the current request as jsonb (a string comes back quoted: compare with ->> or to_jsonb).';

create or replace function public.is_claims_admin()
returns boolean
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  -- Inside SECURITY DEFINER current_user is the owner, so the caller's role is read from the
  -- `role` setting (SET ROLE / set_config('role')), falling back to the login role.
  caller text := coalesce(nullif(current_setting('role', true), 'none'), session_user);
begin
  if caller in ('service_role', 'postgres')
     or exists (select 1 from pg_catalog.pg_roles where rolname = caller and rolsuper) then
    return true;
  end if;
  return caller = 'authenticated'
    and coalesce(public.get_my_claim('claims_admin') = 'true'::jsonb, false);
end
$$;

comment on function public.is_claims_admin() is
  'True for the service_role / postgres / superuser context, or an authenticated token whose app_metadata has claims_admin: true.';

create or replace function public.set_claim(uid uuid, claim text, value jsonb)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if not public.is_claims_admin() then
    raise exception 'only a claims admin may set claims' using errcode = '42501';
  end if;
  if claim in ('provider', 'providers') then
    raise exception 'claim % is managed by the auth server', claim using errcode = '22023';
  end if;
  update auth.users
     set raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb) || jsonb_build_object(claim, value),
         updated_at = now()
   where id = uid;
  if not found then
    raise exception 'no user with id %', uid using errcode = 'P0002';
  end if;
end
$$;

comment on function public.set_claim(uuid, text, jsonb) is
  'Claims admins only: sets app_metadata.<claim> of a user. Takes effect in their next access token.';

create or replace function public.delete_claim(uid uuid, claim text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  if not public.is_claims_admin() then
    raise exception 'only a claims admin may delete claims' using errcode = '42501';
  end if;
  if claim in ('provider', 'providers') then
    raise exception 'claim % is managed by the auth server', claim using errcode = '22023';
  end if;
  update auth.users
     set raw_app_meta_data = coalesce(raw_app_meta_data, '{}'::jsonb) - claim,
         updated_at = now()
   where id = uid;
  if not found then
    raise exception 'no user with id %', uid using errcode = 'P0002';
  end if;
end
$$;

comment on function public.delete_claim(uuid, text) is
  'Claims admins only: removes app_metadata.<claim> of a user. Takes effect in their next access token.';

-- Tokens carry a snapshot of app_metadata taken when they were issued. The middleware asks this
-- once per signed-in request and refreshes the session when it answers true, so a role change
-- applies on the user's next request instead of at token expiry (ADR 0014). provider/providers
-- are left out: the auth server may add them to the token without storing them.
create or replace function public.claims_are_stale()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select auth.uid() is not null and not exists (
    select 1
      from auth.users u
     where u.id = auth.uid()
       and coalesce(u.raw_app_meta_data, '{}'::jsonb) - array['provider', 'providers']
         = coalesce(auth.jwt() -> 'app_metadata', '{}'::jsonb) - array['provider', 'providers']
  )
$$;

comment on function public.claims_are_stale() is
  'True when the app_metadata in the current token differs from the user''s stored app_metadata (or the user is gone).';

-- Supabase's default privileges grant EXECUTE on new public functions to anon and to PUBLIC.
revoke execute on function
  public.get_my_claims(), public.get_my_claim(text), public.is_claims_admin(),
  public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text), public.claims_are_stale()
  from public, anon;
grant execute on function
  public.get_my_claims(), public.get_my_claim(text), public.is_claims_admin(),
  public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text), public.claims_are_stale()
  to authenticated, service_role;
