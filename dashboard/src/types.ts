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
  actions: { name: string; description?: string; classification?: string; input?: JsonSchema }[];
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

export interface HealthCheck {
  id: string;
  kind: 'test' | 'health' | 'auth';
  status: string;
  message: string;
  details: Record<string, unknown> | null;
  checkedAt: string;
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
  eventFilters: unknown;
  payloadTemplate: unknown;
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

// Monitoring (src/monitoring/README.md, "API for the dashboard")

export interface Execution {
  id: string;
  connectionId: string;
  connectionName: string | null;
  executionType: string;
  method: string | null;
  url: string | null;
  status: string;
  responseStatus: number | null;
  executionTime: number | null;
  retryCount: number;
  cached: boolean;
  bytesTransferred: number;
  errorMessage: string | null;
  errorCode: string | null;
  triggeredBy: string | null;
  startedAt: string;
  completedAt: string | null;
}

export interface ExecutionDetail extends Execution {
  requestHeaders: unknown;
  requestBody: unknown;
  responseHeaders: unknown;
  responseBody: unknown;
  errorDetails: unknown;
  maxRetries: number;
  endpointId: string | null;
  parentExecutionId: string | null;
}

export interface Stats {
  totalRequests: number;
  successfulRequests: number;
  failedRequests: number;
  /** Percent; null without calls. */
  successRate: number | null;
  avgResponseTime: number | null;
  minResponseTime: number | null;
  maxResponseTime: number | null;
  p95ResponseTime: number | null;
  bytesTransferred: number;
  cacheHits: number;
  cacheMisses: number;
  rateLimitHits: number;
}

export interface MetricsAnswer {
  from: string;
  to: string;
  groupBy: string;
  totals: Stats;
  groups: (Stats & { key: string; label: string })[];
}

export interface ConnectionStatistics {
  id: string;
  name: string;
  status: string;
  healthStatus: string;
  connectorName: string;
  totalExecutions: number;
  successfulExecutions: number;
  failedExecutions: number;
  successRate: number | null;
  avgResponseTime: number | null;
  lastExecution: string | null;
}

export interface TopApi {
  connectionId: string;
  connectionName: string;
  connectorName: string;
  totalCalls: number;
  avgResponseTime: number | null;
  errorCount: number;
}

export interface OverviewCards {
  totalConnections: number;
  activeConnections: number;
  calls24h: number;
  successRate24h: number | null;
  avgResponseTime24h: number | null;
  errors24h: number;
}

export interface AlertChannel {
  type: 'email' | 'slack' | 'teams' | 'webhook';
  url?: string;
  connectionId?: string;
  to?: string[];
}

export interface AlertRule {
  id: string;
  name: string;
  type: string;
  scope: { kind: 'all' | 'connection' | 'subscription'; connectionId?: string; subscriptionId?: string };
  condition: {
    threshold: number;
    operator?: string;
    windowSeconds?: number;
    forSeconds?: number;
    statistic?: string;
    minRequests?: number;
  };
  severity: string;
  repeatIntervalSeconds: number | null;
  isActive: boolean;
  channels: AlertChannel[];
  state: string;
  currentValue: number | null;
  lastTriggered: string | null;
  triggerCount: number;
  createdAt: string;
}

export interface AlertEvent {
  id: string;
  alertId: string;
  alertName: string;
  severity: string;
  message: string;
  details: unknown;
  acknowledged: boolean;
  acknowledgedBy: string | null;
  resolved: boolean;
  resolvedAt: string | null;
  resolvedBy: string | null;
  createdAt: string;
}

export interface StreamEvent {
  /** The SSE event name: execution, delivery, health, circuit, alert. */
  event: string;
  data: Record<string, unknown>;
  receivedAt: number;
}
