ALTER TABLE "integration_alerts" ADD COLUMN "state" varchar(20) DEFAULT 'ok' NOT NULL;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD COLUMN "pending_since" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD COLUMN "firing_event_id" uuid;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD COLUMN "last_evaluated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD COLUMN "last_notified_at" timestamp with time zone;