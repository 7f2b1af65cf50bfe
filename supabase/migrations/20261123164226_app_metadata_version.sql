CREATE TABLE "app_metadata_version" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "app_metadata_version_one_row" CHECK ("app_metadata_version"."singleton")
);
--> statement-breakpoint
ALTER TABLE "app_metadata_version" ENABLE ROW LEVEL SECURITY;