ALTER TABLE "connection_endpoints" ADD COLUMN "transformations" jsonb;--> statement-breakpoint
ALTER TABLE "connections" ADD COLUMN "transformations" jsonb;