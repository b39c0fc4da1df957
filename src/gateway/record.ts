/** Turns one finished gateway call into its execution record and its platform event. */
import type { EventBus } from '../platform/events.js';
import { redactUrl } from '../platform/logging.js';
import { bodyForRecord } from './body.js';
import type { ResolvedConnection } from './connection-cache.js';
import type { ExecutionLog, ExecutionType, TransformationRecord } from './execution-log.js';
import { redactHeaders } from './headers.js';

/** Bytes of a request or response body kept in an execution record. */
export const RECORD_BODY_BYTES = 16 * 1024;

export interface FinishedCall {
  executionId: string;
  executionType: ExecutionType;
  tenantId: string;
  connection: ResolvedConnection;
  /** The stored endpoint the call matched, if any. */
  endpointId?: string | null;
  method: string;
  /** Without credential query parameters. */
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: unknown;
  response: { status: number; headers: Record<string, string>; body: unknown; bytes: number } | null;
  /** Header names that carried credentials. */
  secretHeaders: readonly string[];
  error: { code: string; message: string } | null;
  retries: number;
  cached: boolean;
  cacheStatus: string | null;
  startedAt: Date;
  durationMs: number;
  triggeredBy: string;
  /** Pipeline step runs kept for data_transformations. */
  transformations?: readonly TransformationRecord[];
}

export function recordCall(log: ExecutionLog, events: EventBus, call: FinishedCall): void {
  const succeeded = !call.error && call.response !== null && call.response.status < 400;
  log.record(
    {
      id: call.executionId,
      tenantId: call.tenantId,
      connectionId: call.connection.id,
      endpointId: call.endpointId ?? null,
      executionType: call.executionType,
      method: call.method,
      url: redactUrl(call.url),
      // Credential headers are listed, masked: a record shows what was sent, never what it held.
      requestHeaders: redactHeaders(
        [call.connection.defaultHeaders, call.requestHeaders],
        call.secretHeaders,
      ),
      requestBody: bodyForRecord(call.requestBody, RECORD_BODY_BYTES),
      responseStatus: call.response?.status ?? null,
      responseHeaders: call.response ? redactHeaders(call.response.headers) : null,
      responseBody: call.response ? bodyForRecord(call.response.body, RECORD_BODY_BYTES) : null,
      errorMessage: call.error
        ? call.error.message
        : call.response && call.response.status >= 400
          ? `upstream answered ${call.response.status}`
          : null,
      errorDetails: call.error ? { code: call.error.code } : null,
      executionTime: call.durationMs,
      retryCount: call.retries,
      maxRetries: call.connection.retry.attempts - 1,
      cached: call.cached,
      bytesTransferred: call.response?.bytes ?? 0,
      status: call.error?.code === 'KRX_UPSTREAM_TIMEOUT' ? 'timeout' : succeeded ? 'success' : 'failed',
      triggeredBy: call.triggeredBy,
      startedAt: call.startedAt,
      // The log masks the credentials once, on the serialised row, off the hot path.
      scrub: call.connection.scrub.longest > 0 ? call.connection.scrub : undefined,
    },
    call.transformations,
  );
  events.publish(succeeded ? 'api.call.success' : 'api.call.error', {
    tenantId: call.tenantId,
    connectionId: call.connection.id,
    executionId: call.executionId,
    executionType: call.executionType,
    statusCode: call.response?.status ?? null,
    durationMs: call.durationMs,
    cacheStatus: call.cacheStatus,
    bytes: call.response?.bytes ?? 0,
    code: call.error?.code ?? null,
  });
}
