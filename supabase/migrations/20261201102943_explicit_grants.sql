-- Every privilege the app's roles hold in public, granted explicitly (ADR 0019).
--
-- Projects created since 30 May 2026 (and every project's new tables since 30 October 2026) give
-- new public tables no SELECT/INSERT/UPDATE/DELETE for anon, authenticated and service_role, and
-- older projects give them ALL. Whatever a database started with, the privileges below are the
-- whole of it: first everything is taken away (REVOKE ALL also removes column grants, and the
-- TRUNCATE/REFERENCES/TRIGGER/MAINTAIN that even new projects still grant by default), then
-- exactly what the app's queries need is given back.
--
-- Every app query runs as authenticated (rls(), DATABASE_URL); nothing runs as anon or as
-- service_role, so those two get no table at all. The admin connection owns the tables.
-- A new table gets its grants here or in a migration like this one; the integration test
-- "grants" lists every table's privileges and fails on a table it does not know.

revoke all on table
  public.profiles, public.messages, public.countries,
  public.admin_audit_log, public.rate_limits, public.app_metadata_version
  from anon, authenticated, service_role;
revoke all on sequence public.countries_id_seq, public.admin_audit_log_id_seq
  from anon, authenticated, service_role;

-- The feed, direct messages and the account page read profiles (usernames); users rename
-- themselves. Policies narrow both to what each user may see and change.
grant select on table public.profiles to authenticated;
grant update (username) on table public.profiles to authenticated;

-- Read, send (Drizzle's insert names every column, so INSERT is table-wide; the trigger owns the
-- timestamps), edit the text, delete as a tombstone. Realtime's per-subscriber check needs SELECT.
grant select, insert on table public.messages to authenticated;
grant update (body, deleted_at) on table public.messages to authenticated;

-- Moderators' reference data; the policy lets only them see rows.
grant select on table public.countries to authenticated;

-- admin_audit_log, rate_limits, app_metadata_version: admin connection only, nothing granted.

-- Functions: PostgreSQL grants EXECUTE to PUBLIC on every new function, and older projects' default
-- privileges add anon, authenticated and service_role; reset them all to what is called, by whom.
revoke execute on function
  public.get_my_claims(), public.get_my_claim(text), public.is_claims_admin(), public.claims_are_stale(),
  public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text),
  public.consume_rate_limit(text, integer, integer),
  public.handle_new_user(), public.profiles_before_update(), public.messages_before_write(),
  public.bump_app_metadata_version()
  from public, anon, authenticated, service_role;
grant execute on function
  public.get_my_claims(), public.get_my_claim(text), public.is_claims_admin(), public.claims_are_stale()
  to authenticated, service_role;
grant execute on function
  public.set_claim(uuid, text, jsonb), public.delete_claim(uuid, text),
  public.consume_rate_limit(text, integer, integer)
  to service_role;
