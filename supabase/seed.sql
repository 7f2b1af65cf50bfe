-- Local development data, applied after the migrations by `supabase db reset` / `supabase start`
-- and by the embedded backend on a fresh cluster. Safe to run twice.
--
-- LOCAL ONLY: every account below signs in with the password `password123`.
--
--   alice@example.com   moderator (app_metadata.user_role = moderator)
--   bob@example.com     user
--   carol@example.com   user
--
-- Rows go straight into auth.users with GoTrue's column layout, as the Supabase docs do for seeds;
-- the token columns must be '' rather than NULL or GoTrue fails to load the user. pgcrypto is
-- schema-qualified because the session that applies the seed may predate the search_path setting.

insert into auth.users (
  instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
  raw_app_meta_data, raw_user_meta_data, created_at, updated_at,
  confirmation_token, recovery_token, email_change_token_new, email_change
)
select
  '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated', u.email,
  extensions.crypt('password123', extensions.gen_salt('bf')), now(),
  u.app_metadata, jsonb_build_object('username', u.username), now(), now(),
  '', '', '', ''
from (values
  ('a11ce000-0000-4000-8000-000000000001'::uuid, 'alice@example.com', 'alice',
   '{"provider": "email", "providers": ["email"], "user_role": "moderator"}'::jsonb),
  ('b0b00000-0000-4000-8000-000000000002'::uuid, 'bob@example.com', 'bob',
   '{"provider": "email", "providers": ["email"]}'::jsonb),
  ('ca201000-0000-4000-8000-000000000003'::uuid, 'carol@example.com', 'carol',
   '{"provider": "email", "providers": ["email"]}'::jsonb)
) as u (id, email, username, app_metadata)
on conflict (id) do nothing;

insert into auth.identities (provider_id, user_id, identity_data, provider, last_sign_in_at, created_at, updated_at)
select u.id::text, u.id,
       jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true, 'phone_verified', false),
       'email', now(), now(), now()
from auth.users u
where u.id in ('a11ce000-0000-4000-8000-000000000001', 'b0b00000-0000-4000-8000-000000000002',
               'ca201000-0000-4000-8000-000000000003')
on conflict (provider_id, provider) do nothing;

-- Profiles come from the on_auth_user_created trigger (usernames from raw_user_meta_data).

insert into public.messages (id, author_id, recipient_id, is_announcement, body, created_at, deleted_at)
values
  ('5eed0000-0000-4000-8000-000000000001', 'a11ce000-0000-4000-8000-000000000001', null, true,
   'Welcome! Be kind; moderators may remove messages.', now() - interval '3 hours', null),
  ('5eed0000-0000-4000-8000-000000000002', 'b0b00000-0000-4000-8000-000000000002', null, false,
   'Hello everyone 👋', now() - interval '2 hours', null),
  ('5eed0000-0000-4000-8000-000000000003', 'ca201000-0000-4000-8000-000000000003', null, false,
   'Hi Bob!', now() - interval '110 minutes', null),
  ('5eed0000-0000-4000-8000-000000000004', 'b0b00000-0000-4000-8000-000000000002',
   'ca201000-0000-4000-8000-000000000003', false,
   'Carol, a direct message only you and I can read.', now() - interval '100 minutes', null),
  ('5eed0000-0000-4000-8000-000000000005', 'ca201000-0000-4000-8000-000000000003', null, false,
   '', now() - interval '90 minutes', now() - interval '80 minutes')
on conflict (id) do nothing;

insert into public.countries (name, iso2, continent)
values
  ('France', 'FR', 'Europe'),
  ('Germany', 'DE', 'Europe'),
  ('Japan', 'JP', 'Asia'),
  ('Brazil', 'BR', 'South America'),
  ('Kenya', 'KE', 'Africa'),
  ('Canada', 'CA', 'North America'),
  ('Australia', 'AU', 'Oceania')
on conflict (iso2) do nothing;
