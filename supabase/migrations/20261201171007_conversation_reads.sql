CREATE TABLE "conversation_reads" (
	"user_id" uuid DEFAULT auth.uid() NOT NULL,
	"partner_id" uuid NOT NULL,
	"last_read_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "conversation_reads_pkey" PRIMARY KEY("user_id","partner_id")
);
--> statement-breakpoint
ALTER TABLE "conversation_reads" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "conversation_reads" ADD CONSTRAINT "conversation_reads_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."profiles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "conversation_reads" ADD CONSTRAINT "conversation_reads_partner_id_fkey" FOREIGN KEY ("partner_id") REFERENCES "public"."profiles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "conversation_reads_partner_id_idx" ON "conversation_reads" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "messages_recipient_author_created_idx" ON "messages" USING btree ("recipient_id","author_id","created_at");--> statement-breakpoint
CREATE INDEX "profiles_username_prefix_idx" ON "profiles" USING btree ("username" text_pattern_ops);--> statement-breakpoint
CREATE POLICY "users read their own read markers" ON "conversation_reads" AS PERMISSIVE FOR SELECT TO "authenticated" USING ("conversation_reads"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "users create their own read markers" ON "conversation_reads" AS PERMISSIVE FOR INSERT TO "authenticated" WITH CHECK ("conversation_reads"."user_id" = (select auth.uid()));--> statement-breakpoint
CREATE POLICY "users move their own read markers" ON "conversation_reads" AS PERMISSIVE FOR UPDATE TO "authenticated" USING ("conversation_reads"."user_id" = (select auth.uid())) WITH CHECK ("conversation_reads"."user_id" = (select auth.uid()));