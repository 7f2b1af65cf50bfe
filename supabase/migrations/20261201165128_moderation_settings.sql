CREATE TABLE "moderation_settings" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"moderators_require_factor" boolean DEFAULT false NOT NULL,
	CONSTRAINT "moderation_settings_one_row" CHECK ("moderation_settings"."singleton")
);
--> statement-breakpoint
ALTER TABLE "moderation_settings" ENABLE ROW LEVEL SECURITY;