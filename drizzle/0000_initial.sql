CREATE TABLE "alert_events" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"alert_id" uuid NOT NULL,
	"severity" varchar(20) NOT NULL,
	"message" text NOT NULL,
	"details" jsonb,
	"acknowledged" boolean DEFAULT false NOT NULL,
	"acknowledged_by" text,
	"resolved" boolean DEFAULT false NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_executions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"endpoint_id" uuid,
	"execution_type" varchar(50) NOT NULL,
	"method" varchar(10),
	"url" text,
	"request_headers" jsonb,
	"request_body" jsonb,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" jsonb,
	"error_message" text,
	"error_details" jsonb,
	"execution_time" integer,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"max_retries" integer DEFAULT 3 NOT NULL,
	"cached" boolean DEFAULT false NOT NULL,
	"bytes_transferred" bigint DEFAULT 0 NOT NULL,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"triggered_by" varchar(100),
	"trigger_id" uuid,
	"parent_execution_id" uuid,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"name" varchar(255) NOT NULL,
	"prefix" varchar(32) NOT NULL,
	"key_hash" varchar(128) NOT NULL,
	"role" varchar(20) NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "api_keys_key_hash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"actor" text NOT NULL,
	"action" varchar(100) NOT NULL,
	"resource_type" varchar(100) NOT NULL,
	"resource_id" text,
	"source_ip" varchar(64),
	"request_id" varchar(128),
	"details" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cache_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"endpoint_pattern" varchar(500),
	"cache_strategy" varchar(50) DEFAULT 'time_based' NOT NULL,
	"ttl_seconds" integer DEFAULT 300 NOT NULL,
	"cache_conditions" jsonb,
	"invalidation_events" text[],
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connection_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid NOT NULL,
	"endpoint_name" varchar(255) NOT NULL,
	"endpoint_url" text NOT NULL,
	"http_method" varchar(10) DEFAULT 'GET' NOT NULL,
	"headers" jsonb,
	"query_params" jsonb,
	"body_template" jsonb,
	"response_mapping" jsonb,
	"timeout_seconds" integer DEFAULT 30 NOT NULL,
	"retry_config" jsonb,
	"rate_limit_config" jsonb,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connector_id" uuid NOT NULL,
	"connector_version" varchar(50) NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"environment" varchar(50) DEFAULT 'production' NOT NULL,
	"config" jsonb NOT NULL,
	"auth_config" jsonb,
	"credentials" jsonb,
	"connection_string" text,
	"status" varchar(20) DEFAULT 'active' NOT NULL,
	"last_tested" timestamp with time zone,
	"test_result" jsonb,
	"health_check_config" jsonb,
	"health_check_interval" integer DEFAULT 300 NOT NULL,
	"last_health_check" timestamp with time zone,
	"health_status" varchar(20) DEFAULT 'unknown' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"name" varchar(255) NOT NULL,
	"display_name" varchar(255) NOT NULL,
	"description" text,
	"connector_type" varchar(50) NOT NULL,
	"category" varchar(100) NOT NULL,
	"provider" varchar(255),
	"version" varchar(50) DEFAULT '1.0.0' NOT NULL,
	"icon_url" text,
	"documentation_url" text,
	"config_schema" jsonb NOT NULL,
	"auth_schema" jsonb,
	"supported_methods" jsonb,
	"rate_limits" jsonb,
	"endpoints" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"transformers" jsonb,
	"is_active" boolean DEFAULT true NOT NULL,
	"is_built_in" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "data_transformations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"execution_id" uuid,
	"transformation_type" varchar(50) NOT NULL,
	"transformer_name" varchar(255),
	"input_data" jsonb,
	"output_data" jsonb,
	"transformation_config" jsonb,
	"error_message" text,
	"processing_time" integer,
	"status" varchar(20) DEFAULT 'success' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "integration_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid,
	"alert_type" varchar(50) NOT NULL,
	"alert_name" varchar(255) NOT NULL,
	"conditions" jsonb NOT NULL,
	"notification_config" jsonb,
	"threshold_value" numeric(14, 4),
	"current_value" numeric(14, 4),
	"is_active" boolean DEFAULT true NOT NULL,
	"last_triggered" timestamp with time zone,
	"trigger_count" bigint DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "integration_metrics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid,
	"metric_hour" timestamp with time zone NOT NULL,
	"total_requests" bigint DEFAULT 0 NOT NULL,
	"successful_requests" bigint DEFAULT 0 NOT NULL,
	"failed_requests" bigint DEFAULT 0 NOT NULL,
	"avg_response_time" numeric(10, 2),
	"min_response_time" integer,
	"max_response_time" integer,
	"p95_response_time" integer,
	"total_data_transferred" bigint DEFAULT 0 NOT NULL,
	"cache_hits" bigint DEFAULT 0 NOT NULL,
	"cache_misses" bigint DEFAULT 0 NOT NULL,
	"rate_limit_hits" bigint DEFAULT 0 NOT NULL,
	"error_rates" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "uq_integration_metrics_hour" UNIQUE NULLS NOT DISTINCT("tenant_id","connection_id","metric_hour")
);
--> statement-breakpoint
CREATE TABLE "rate_limit_logs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rate_limit_id" uuid,
	"tenant_id" uuid NOT NULL,
	"resource_identifier" text,
	"requests_count" integer DEFAULT 0 NOT NULL,
	"limit_exceeded" boolean DEFAULT false NOT NULL,
	"reset_time" timestamp with time zone,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"connection_id" uuid,
	"resource_type" varchar(50) NOT NULL,
	"resource_id" varchar(255),
	"limit_type" varchar(50) NOT NULL,
	"limit_value" bigint NOT NULL,
	"window_seconds" integer NOT NULL,
	"current_usage" bigint DEFAULT 0 NOT NULL,
	"window_start" timestamp with time zone DEFAULT now() NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" varchar(255) NOT NULL,
	"slug" varchar(100) NOT NULL,
	"status" varchar(20) DEFAULT 'active' NOT NULL,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"subscription_id" uuid,
	"endpoint_id" uuid,
	"event_type" varchar(255) NOT NULL,
	"event_data" jsonb NOT NULL,
	"payload" jsonb NOT NULL,
	"target_url" text NOT NULL,
	"request_headers" jsonb,
	"response_status" integer,
	"response_headers" jsonb,
	"response_body" text,
	"delivery_time" integer,
	"attempt_number" integer DEFAULT 1 NOT NULL,
	"max_attempts" integer DEFAULT 3 NOT NULL,
	"status" varchar(20) DEFAULT 'pending' NOT NULL,
	"error_message" text,
	"scheduled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivered_at" timestamp with time zone,
	"next_retry_at" timestamp with time zone,
	"lease_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"webhook_url" varchar(500) NOT NULL,
	"secret_key" jsonb,
	"allowed_methods" text[] DEFAULT '{POST}' NOT NULL,
	"allowed_sources" jsonb,
	"authentication_type" varchar(50) DEFAULT 'none' NOT NULL,
	"auth_config" jsonb,
	"payload_validation_schema" jsonb,
	"transformation_config" jsonb,
	"response_config" jsonb,
	"is_active" boolean DEFAULT true NOT NULL,
	"rate_limit" integer DEFAULT 1000 NOT NULL,
	"last_triggered" timestamp with time zone,
	"trigger_count" bigint DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_endpoints_webhook_url_unique" UNIQUE("webhook_url")
);
--> statement-breakpoint
CREATE TABLE "webhook_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" varchar(255) NOT NULL,
	"description" text,
	"target_url" text NOT NULL,
	"events" text[] NOT NULL,
	"event_filters" jsonb,
	"headers" jsonb,
	"authentication" jsonb,
	"payload_template" jsonb,
	"retry_config" jsonb,
	"timeout_seconds" integer DEFAULT 30 NOT NULL,
	"is_active" boolean DEFAULT true NOT NULL,
	"last_sent" timestamp with time zone,
	"send_count" bigint DEFAULT 0 NOT NULL,
	"success_count" bigint DEFAULT 0 NOT NULL,
	"failure_count" bigint DEFAULT 0 NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_alert_id_integration_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."integration_alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_executions" ADD CONSTRAINT "api_executions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_executions" ADD CONSTRAINT "api_executions_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_executions" ADD CONSTRAINT "api_executions_endpoint_id_connection_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."connection_endpoints"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cache_policies" ADD CONSTRAINT "cache_policies_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cache_policies" ADD CONSTRAINT "cache_policies_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_endpoints" ADD CONSTRAINT "connection_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_endpoints" ADD CONSTRAINT "connection_endpoints_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connections" ADD CONSTRAINT "connections_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connectors" ADD CONSTRAINT "connectors_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_transformations" ADD CONSTRAINT "data_transformations_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "data_transformations" ADD CONSTRAINT "data_transformations_execution_id_api_executions_id_fk" FOREIGN KEY ("execution_id") REFERENCES "public"."api_executions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD CONSTRAINT "integration_alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_alerts" ADD CONSTRAINT "integration_alerts_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_metrics" ADD CONSTRAINT "integration_metrics_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "integration_metrics" ADD CONSTRAINT "integration_metrics_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limit_logs" ADD CONSTRAINT "rate_limit_logs_rate_limit_id_rate_limits_id_fk" FOREIGN KEY ("rate_limit_id") REFERENCES "public"."rate_limits"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limit_logs" ADD CONSTRAINT "rate_limit_logs_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rate_limits" ADD CONSTRAINT "rate_limits_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_subscription_id_webhook_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."webhook_subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_subscriptions" ADD CONSTRAINT "webhook_subscriptions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idx_alert_events_alert_created" ON "alert_events" USING btree ("alert_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_api_executions_connection_status" ON "api_executions" USING btree ("connection_id","status");--> statement-breakpoint
CREATE INDEX "idx_api_executions_tenant_started" ON "api_executions" USING btree ("tenant_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_api_executions_started" ON "api_executions" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "idx_api_executions_status_retry" ON "api_executions" USING btree ("status","retry_count") WHERE "api_executions"."status" IN ('failed', 'timeout');--> statement-breakpoint
CREATE INDEX "idx_api_keys_tenant" ON "api_keys" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "idx_audit_log_tenant_created" ON "audit_log" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_cache_policies_connection" ON "cache_policies" USING btree ("connection_id");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_connection_endpoints_name" ON "connection_endpoints" USING btree ("connection_id","endpoint_name");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_connections_tenant_name" ON "connections" USING btree ("tenant_id","name");--> statement-breakpoint
CREATE INDEX "idx_connections_tenant_status" ON "connections" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "idx_connections_connector_status" ON "connections" USING btree ("connector_id","status");--> statement-breakpoint
CREATE INDEX "idx_connections_health" ON "connections" USING btree ("health_status","last_health_check");--> statement-breakpoint
CREATE UNIQUE INDEX "uq_connectors_builtin_name" ON "connectors" USING btree ("name") WHERE "connectors"."tenant_id" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "uq_connectors_tenant_name" ON "connectors" USING btree ("tenant_id","name") WHERE "connectors"."tenant_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_connectors_type_category" ON "connectors" USING btree ("connector_type","category");--> statement-breakpoint
CREATE INDEX "idx_connectors_provider" ON "connectors" USING btree ("provider") WHERE "connectors"."provider" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "idx_data_transformations_execution" ON "data_transformations" USING btree ("execution_id");--> statement-breakpoint
CREATE INDEX "idx_integration_alerts_tenant" ON "integration_alerts" USING btree ("tenant_id","is_active");--> statement-breakpoint
CREATE INDEX "idx_integration_metrics_tenant_hour" ON "integration_metrics" USING btree ("tenant_id","metric_hour" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_integration_metrics_connection_hour" ON "integration_metrics" USING btree ("connection_id","metric_hour" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_rate_limit_logs_tenant_time" ON "rate_limit_logs" USING btree ("tenant_id","timestamp" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_rate_limits_tenant_resource" ON "rate_limits" USING btree ("tenant_id","resource_type","resource_id");--> statement-breakpoint
CREATE INDEX "idx_rate_limits_window" ON "rate_limits" USING btree ("window_start","window_seconds") WHERE "rate_limits"."is_active" = TRUE;--> statement-breakpoint
CREATE INDEX "idx_webhook_deliveries_status_scheduled" ON "webhook_deliveries" USING btree ("status","scheduled_at") WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "idx_webhook_deliveries_subscription_status" ON "webhook_deliveries" USING btree ("subscription_id","status");--> statement-breakpoint
CREATE INDEX "idx_webhook_deliveries_tenant_created" ON "webhook_deliveries" USING btree ("tenant_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "idx_webhook_endpoints_tenant_active" ON "webhook_endpoints" USING btree ("tenant_id","is_active") WHERE "webhook_endpoints"."is_active" = TRUE;--> statement-breakpoint
CREATE INDEX "idx_webhook_subscriptions_tenant_active" ON "webhook_subscriptions" USING btree ("tenant_id","is_active");