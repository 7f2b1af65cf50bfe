CREATE TABLE "signal_ticket_key" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"key" text DEFAULT encode(extensions.gen_random_bytes(32), 'hex') NOT NULL,
	CONSTRAINT "signal_ticket_key_one_row" CHECK ("signal_ticket_key"."singleton")
);
--> statement-breakpoint
ALTER TABLE "signal_ticket_key" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP POLICY "participants join their conversation topic" ON "realtime"."messages" CASCADE;--> statement-breakpoint
DROP POLICY "participants send typing and presence on their conversation topic" ON "realtime"."messages" CASCADE;--> statement-breakpoint
DROP POLICY "signed-in users share presence on the public feed topic" ON "realtime"."messages" CASCADE;--> statement-breakpoint
DROP POLICY "signed-in users join the public feed topic" ON "realtime"."messages" CASCADE;--> statement-breakpoint
CREATE POLICY "users read the database's topics they belong to" ON "realtime"."messages" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("realtime"."messages"."extension" = 'broadcast' and "realtime"."messages"."topic" = realtime.topic() and (select public.realtime_session_active())
  and (realtime.topic() = 'feed:public' or (realtime.topic() ~ '^dm:[0-9a-f-]{36}:[0-9a-f-]{36}$'
  and split_part(realtime.topic(), ':', 2) < split_part(realtime.topic(), ':', 3) collate "C"
  and (select auth.uid()::text) in (split_part(realtime.topic(), ':', 2), split_part(realtime.topic(), ':', 3))) or realtime.topic() = ('user:' || (select auth.uid()::text))));--> statement-breakpoint
CREATE POLICY "users read presence and typing where they belong" ON "realtime"."messages" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("realtime"."messages"."extension" in ('broadcast', 'presence') and "realtime"."messages"."topic" = realtime.topic() and (select public.realtime_session_active()) and (realtime.topic() = 'signals:feed:public' or (realtime.topic() ~ '^signals:dm:[0-9a-f-]{36}:[0-9a-f-]{36}$'
  and split_part(realtime.topic(), ':', 3) < split_part(realtime.topic(), ':', 4) collate "C"
  and (select auth.uid()::text) in (split_part(realtime.topic(), ':', 3), split_part(realtime.topic(), ':', 4)))));--> statement-breakpoint
CREATE POLICY "users send presence and typing where they belong" ON "realtime"."messages" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("realtime"."messages"."extension" in ('broadcast', 'presence') and "realtime"."messages"."topic" = realtime.topic() and (select public.realtime_session_active()) and (realtime.topic() = 'signals:feed:public' or (realtime.topic() ~ '^signals:dm:[0-9a-f-]{36}:[0-9a-f-]{36}$'
  and split_part(realtime.topic(), ':', 3) < split_part(realtime.topic(), ':', 4) collate "C"
  and (select auth.uid()::text) in (split_part(realtime.topic(), ':', 3), split_part(realtime.topic(), ':', 4)))));