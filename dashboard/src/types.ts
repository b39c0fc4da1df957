/** The shapes the platform's admin API answers with (only the fields the dashboard reads). */
import type { JsonSchema } from './components/schema';

export interface Connector {
  id: string;
  displayName: string;
  description: string | null;
  type: string;
  category: string;
  provider: string | null;
  version: string;
  documentationUrl: string | null;
  configSchema: JsonSchema;
  authSchema: JsonSchema | null;
  actions: { name: string; description?: string; classification?: string }[];
}

export interface Connection {
  id: string;
  connectorId: string;
  name: string;
  description: string | null;
  environment: string;
  config: Record<string, unknown>;
  authConfig: Record<string, unknown> | null;
  credentials: Record<string, string> | null;
  status: string;
  healthStatus: string;
  lastHealthCheck: string | null;
  lastTested: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ConnectionEndpoint {
  id: string;
  endpointName: string;
  endpointUrl: string;
  httpMethod: string;
  timeoutSeconds: number;
  isActive: boolean;
}

export interface TestResult {
  ok: boolean;
  message: string;
  healthStatus: string;
  testedAt: string;
  durationMs?: number;
}

export interface CallResult {
  status: 'success' | 'error';
  data?: unknown;
  cached?: boolean;
  cacheStatus?: string;
  statusCode?: number;
  headers?: Record<string, string>;
  executionTime?: number;
  executionId?: string;
  retries?: number;
  error?: string;
  code?: string;
}

export interface WebhookEndpoint {
  id: string;
  name: string;
  description: string | null;
  url: string;
  authenticationType: string;
  secretKey: string | null;
  generatedSecret?: string;
  allowedMethods: string[];
  isActive: boolean;
  lastTriggered: string | null;
  triggerCount: number;
  createdAt: string;
}

export interface Subscription {
  id: string;
  name: string;
  targetUrl: string;
  events: string[];
  isActive: boolean;
  disabledReason: string | null;
  lastSent: string | null;
  sendCount: number;
  successCount: number;
  failureCount: number;
  signingSecret?: string;
  createdAt: string;
}

export interface DeliveryAttempt {
  attemptNumber: number;
  responseStatus: number | null;
  responseBody: string | null;
  durationMs: number | null;
  errorMessage: string | null;
  createdAt: string;
}

export interface Delivery {
  id: string;
  direction: 'inbound' | 'outbound';
  subscriptionId: string | null;
  endpointId: string | null;
  eventType: string;
  targetUrl: string;
  status: string;
  attemptNumber: number;
  maxAttempts: number;
  responseStatus: number | null;
  errorMessage: string | null;
  deliveryTime: number | null;
  nextRetryAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
  payload?: unknown;
  requestHeaders?: unknown;
  responseHeaders?: unknown;
  responseBody?: string | null;
  attempts?: DeliveryAttempt[];
}

export interface EventType {
  type: string;
  description: string;
}
