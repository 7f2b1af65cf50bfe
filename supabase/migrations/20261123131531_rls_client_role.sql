-- The login the app's DATABASE_URL uses for every user-facing query (ADR 0011).
--
-- It owns nothing and, being NOINHERIT, holds no privilege of its own: outside a transaction that
-- switched to anon or authenticated it cannot read a single table. Its only power is SET ROLE to
-- those two roles, so a leaked DATABASE_URL is worth an anonymous visitor, never an admin.
--
-- No password here: migrations live in git. The role is created unable to log in, and
-- `npm run role -- sync-db-login` (or the dev start-up) sets the password from DATABASE_URL
-- through the admin connection. Roles are cluster-wide, hence `if not exists`, and attributes
-- are left alone when the role already exists (changing SUPERUSER/BYPASSRLS would need a
-- superuser, which the `postgres` role of hosted Supabase is not).
do $$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'rls_client') then
    create role rls_client login noinherit;
  end if;
end
$$;

grant anon, authenticated to rls_client;

comment on role rls_client is
  'App login for RLS transactions: may only SET ROLE anon or authenticated. Password set from DATABASE_URL, never from git.';
