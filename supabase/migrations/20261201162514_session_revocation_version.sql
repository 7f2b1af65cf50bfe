CREATE TABLE "session_revocation_version" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"version" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "session_revocation_version_one_row" CHECK ("session_revocation_version"."singleton")
);
--> statement-breakpoint
ALTER TABLE "session_revocation_version" ENABLE ROW LEVEL SECURITY;