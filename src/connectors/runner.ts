/**
 * The action runner: runs one action of a connection's connector. Input is validated against the
 * action's schema, the connection's credentials are decrypted (audited; cached in memory until the
 * connection changes), the action runs within the connection's timeout with the connector's retry
 * rules (idempotent actions only) and provider rate limits, and every run is recorded in
 * `api_executions` (execution_type `action`) through the batched execution log. An action may take
 * raw request bytes as a stream (`rawBody`) and answer a stream (`StreamedBody`); a streamed answer
 * stays under the timeout until it ends, and its run is recorded then, with the bytes it carried.
 */

import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { ExecutionLog } from '../gateway/execution-log.js';
import { backoffDelay, parseRetryAfter, retryPolicy, toUpstreamError } from '../gateway/retry.js';
import type { RequestContext } from '../platform/audit.js';
import { actorOf } from '../platform/auth/principal.js';
import { maskSecrets } from '../platform/crypto.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import type { AuthService } from './auth/service.js';
import type { ConnectionService, LoadedConnection } from './connections.js';
import { customConnectorOfRow } from './custom/executor.js';
import { createConnectorHttp, ProviderLimits } from './http.js';
import { BUILT_IN_CONNECTORS, resolveBuiltIn } from './registry.js';
import { checkAgainstSchema } from './schema-check.js';
import {
  type ActionContext,
  actionOf,
  type ConnectorDefinition,
  StreamedBody,
  type TestResult,
} from './sdk.js';
import { counted, inputFromQuery } from './streams.js';

export interface ActionResult {
  status: 'success';
  data: unknown;
  executionId: string;
  executionTime: number;
}

export interface RunnerOptions {
  connections: ConnectionService;
  auth: AuthService;
  executionLog: ExecutionLog;
  events: EventBus;
  dispatcher: Dispatcher;
  /** Whole-run timeout when the connection sets none (API_GATEWAY_TIMEOUT). */
  defaultTimeoutMs: number;
  /** Timeout of a connection test (HEALTH_CHECK_TIMEOUT). */
  testTimeoutMs: number;
  /** Builds the definition of a tenant's custom connector from its row. */
  customConnector?: (connection: LoadedConnection) => ConnectorDefinition;
  /** Resolves hosts of sockets connectors open themselves (SSRF guard). */
  resolveTarget: (host: string) => Promise<string>;
  /** How long decrypted connections stay cached. */
  cacheTtlMs?: number;
}

const MAX_RECORDED_CHARS = 64 * 1024;

/** A raw request body handed to an action that declares `rawBody`. */
export interface RawBody {
  stream: Readable;
  contentType: string;
}

/** Why a streamed answer stopped before its end, as the execution records it. */
function streamFailure(error: unknown): KryonixError {
  if ((error as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE')
    return new KryonixError('KRX_CLIENT_CLOSED_REQUEST', 'the caller went away before the end of the stream');
  return toUpstreamError(error);
}

function recordable(value: unknown): unknown {
  if (value === undefined) return null;
  const masked = maskSecrets(value);
  const text = JSON.stringify(masked) ?? 'null';
  return text.length > MAX_RECORDED_CHARS
    ? { truncated: true, preview: text.slice(0, 2048), length: text.length }
    : masked;
}

export function createActionRunner(options: RunnerOptions) {
  const { connections, auth, executionLog, events } = options;
  const limits = new ProviderLimits();
  const cacheTtlMs = options.cacheTtlMs ?? 5 * 60_000;
  const cache = new Map<string, { loaded: LoadedConnection; expires: number }>();
  const evict = (event: { data: unknown }) => {
    const { connectionId } = event.data as { connectionId: string };
    cache.delete(connectionId);
    auth.forget(connectionId);
    for (const connector of BUILT_IN_CONNECTORS) void connector.release?.(connectionId).catch(() => {});
  };
  const unsubscribe = [
    events.subscribe('connection.updated', evict),
    events.subscribe('connection.deleted', evict),
  ];

  async function load(
    context: RequestContext,
    tenantId: string,
    connectionId: string,
    reason: string,
  ): Promise<LoadedConnection> {
    const hit = cache.get(connectionId);
    if (hit && hit.expires > Date.now() && hit.loaded.tenantId === tenantId) return hit.loaded;
    const loaded = await connections.load(context, tenantId, connectionId, reason);
    cache.set(connectionId, { loaded, expires: Date.now() + cacheTtlMs });
    return loaded;
  }

  function connectorFor(connection: LoadedConnection): ConnectorDefinition {
    if (connection.connector.isBuiltIn)
      return resolveBuiltIn(connection.connectorName, connection.connectorVersion);
    if (options.customConnector) return options.customConnector(connection);
    if (connection.connector.connectorType === 'custom')
      return customConnectorOfRow(connection.connector, connection.connectorVersion);
    throw new KryonixError(
      'KRX_CONNECTOR_NOT_FOUND',
      `connector ${connection.connectorName} cannot run here`,
    );
  }

  function timeoutOf(connection: LoadedConnection): number {
    const configured = connection.config.timeoutMs;
    return typeof configured === 'number' && configured > 0 ? configured : options.defaultTimeoutMs;
  }

  function contextFor(
    context: RequestContext,
    connector: ConnectorDefinition,
    connection: LoadedConnection,
    signal: AbortSignal,
    deadline: number,
    body?: RawBody,
  ): ActionContext {
    const session = auth.session({
      context,
      tenantId: connection.tenantId,
      connectionId: connection.id,
      authConfig: connection.authConfig,
      credentials: connection.credentials,
    });
    const baseUrl = typeof connection.config.baseUrl === 'string' ? connection.config.baseUrl : undefined;
    const defaultHeaders =
      (connection.config.defaultHeaders as Record<string, string> | undefined) ?? undefined;
    return {
      connection: {
        id: connection.id,
        tenantId: connection.tenantId,
        name: connection.name,
        connectorVersion: connection.connectorVersion,
        config: connection.config,
        authConfig: connection.authConfig,
      },
      credentials: connection.credentials,
      auth: session,
      http: createConnectorHttp({
        connector,
        connectionId: connection.id,
        baseUrl,
        defaultHeaders,
        auth: session,
        dispatcher: options.dispatcher,
        limits,
        signal,
      }),
      resolveTarget: options.resolveTarget,
      signal,
      deadline,
      ...(body ? { body } : {}),
    };
  }

  /**
   * Runs `work` until `timeoutMs`, aborting its signal then; a late answer is dropped. A streamed
   * answer stays under the same deadline until it ends: the timeout destroys it.
   */
  async function withTimeout<T>(
    timeoutMs: number,
    what: string,
    work: (signal: AbortSignal, deadline: number) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let streaming: Readable | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new KryonixError(
          'KRX_UPSTREAM_TIMEOUT',
          `${what} did not finish within ${timeoutMs} ms`,
        );
        controller.abort(error);
        streaming?.destroy(error);
        reject(error);
      }, timeoutMs);
    });
    const running = work(controller.signal, deadline);
    // A stream answered after the timeout has no reader: destroy it so it frees what it holds.
    running.then(
      (late) => {
        if (controller.signal.aborted && late instanceof StreamedBody) late.stream.destroy();
      },
      () => {},
    );
    let result: T | undefined;
    try {
      result = await Promise.race([running, timedOut]);
      return result;
    } finally {
      if (result instanceof StreamedBody && !result.stream.destroyed) {
        streaming = result.stream;
        result.stream.once('close', () => clearTimeout(timer));
      } else clearTimeout(timer);
    }
  }

  return {
    /** Runs an action; throws a KryonixError (recorded first) when it fails. */
    async run(
      context: RequestContext,
      tenantId: string,
      connectionId: string,
      actionName: string,
      given: unknown,
      body?: RawBody,
    ): Promise<ActionResult> {
      const connection = await load(context, tenantId, connectionId, `action ${actionName}`);
      const connector = connectorFor(connection);
      const action = actionOf(connector, actionName);
      if (!action) {
        throw new KryonixError(
          'KRX_ACTION_NOT_FOUND',
          `connector ${connector.id} has no action "${actionName}"`,
          {
            extensions: { actions: connector.actions.map((a) => a.name) },
          },
        );
      }
      if (connection.status !== 'active')
        throw new KryonixError(
          'KRX_CONNECTION_INACTIVE',
          `connection ${connectionId} is ${connection.status}`,
        );
      if (body && !action.rawBody)
        throw new KryonixError(
          'KRX_UNSUPPORTED_MEDIA_TYPE',
          `the ${action.name} action takes its input as a JSON body (application/json), not ${body.contentType}`,
        );
      // With raw bytes in the body, the input is the query string.
      const input = body ? inputFromQuery(action.input, (given ?? {}) as Record<string, unknown>) : given;
      const errors = checkAgainstSchema(action.input, input ?? {}, '/input');
      if (errors.length > 0) {
        throw new KryonixError(
          'KRX_VALIDATION_FAILED',
          `the input does not match the ${action.name} action's schema`,
          { extensions: { errors } },
        );
      }

      const executionId = executionLog.newId();
      const startedAt = new Date();
      const started = performance.now();
      const retrySettings = (connection.config.retry ?? {}) as { attempts?: number; delayMs?: number };
      const upload = body ? counted(body.stream) : undefined;
      const policy = retryPolicy({
        // A consumed request body cannot be sent again.
        attempts: action.idempotent && !body ? 1 + (retrySettings.attempts ?? 2) : 1,
        baseDelayMs: retrySettings.delayMs ?? 500,
        maxDelayMs: Math.max(retrySettings.delayMs ?? 500, 10_000),
      });
      let retries = 0;
      let data: unknown;
      let failure: KryonixError | undefined;
      try {
        data = await withTimeout(timeoutOf(connection), `action ${action.name}`, async (signal, deadline) => {
          const actionContext = contextFor(
            context,
            connector,
            connection,
            signal,
            deadline,
            upload && body ? { stream: upload.stream, contentType: body.contentType } : undefined,
          );
          for (let attempt = 1; ; attempt++) {
            try {
              return await action.run(actionContext, input ?? {});
            } catch (thrown) {
              const error = toUpstreamError(thrown);
              if (signal.aborted || attempt >= policy.attempts || error.extensions.retryable !== true)
                throw error;
              const waitMs = Math.max(
                backoffDelay(attempt, policy),
                parseRetryAfter(error.headers['Retry-After'], Date.now()) ?? 0,
              );
              if (Date.now() + waitMs >= deadline) throw error;
              retries++;
              await sleep(waitMs, undefined, { signal }).catch(() => {});
            }
          }
        });
      } catch (thrown) {
        failure = toUpstreamError(thrown);
        upload?.stream.destroy(); // e.g. timed out mid-upload: stop reading the body
      }
      const record = (failure: KryonixError | undefined, output: unknown, bytes: number) => {
        const executionTime = Math.round(performance.now() - started);
        executionLog.record({
          id: executionId,
          tenantId,
          connectionId,
          executionType: 'action',
          method: 'ACTION',
          url: `action:${connector.id}/${action.name}`,
          requestHeaders: {},
          requestBody: recordable(
            body ? { ...(input as object), body: { contentType: body.contentType } } : input,
          ),
          responseStatus: failure ? failure.status : 200,
          responseHeaders: null,
          responseBody: failure ? null : recordable(output),
          cached: false,
          bytesTransferred: bytes + (upload?.bytes() ?? 0),
          errorMessage: failure?.message ?? null,
          errorDetails: failure ? { code: failure.code, ...failure.extensions } : null,
          executionTime,
          retryCount: retries,
          maxRetries: policy.attempts - 1,
          status: failure ? (failure.code === 'KRX_UPSTREAM_TIMEOUT' ? 'timeout' : 'failed') : 'success',
          triggeredBy: actorOf(context.principal).slice(0, 100),
          startedAt,
        });
        const event = {
          tenantId,
          connectionId,
          executionId,
          executionType: 'action',
          action: action.name,
          connector: connector.id,
          executionTime,
        };
        if (failure) events.publish('api.call.error', { ...event, code: failure.code });
        else events.publish('api.call.success', event);
        return executionTime;
      };
      if (failure) {
        record(failure, undefined, 0);
        if (failure.code === 'KRX_INTERNAL')
          throw new KryonixError('KRX_INTERNAL', undefined, {
            cause: failure.cause ?? failure,
            extensions: { executionId },
          });
        throw new KryonixError(failure.code, failure.message, {
          cause: failure,
          headers: failure.headers,
          extensions: { ...failure.extensions, executionId },
        });
      }
      if (data instanceof StreamedBody) {
        // Recorded when the stream ends (or breaks), with what it carried.
        const download = counted(data.stream);
        const summary = { streamed: true, contentType: data.contentType, size: data.size ?? null };
        finished(download.stream).then(
          () => record(undefined, summary, download.bytes()),
          (error: unknown) => record(streamFailure(error), undefined, download.bytes()),
        );
        const streamed = new StreamedBody(download.stream, data.contentType, data.size, data.fileName);
        return {
          status: 'success',
          data: streamed,
          executionId,
          executionTime: Math.round(performance.now() - started),
        };
      }
      const executionTime = record(undefined, data, 0);
      return { status: 'success', data, executionId, executionTime };
    },

    /** Runs the connector's test() now and stores last_tested, test_result and health_status. */
    async test(
      context: RequestContext,
      tenantId: string,
      connectionId: string,
    ): Promise<TestResult & { healthStatus: string; testedAt: string; durationMs: number }> {
      const connection = await load(context, tenantId, connectionId, 'connection test');
      const connector = connectorFor(connection);
      const started = performance.now();
      let result: TestResult;
      try {
        result = await withTimeout(options.testTimeoutMs, 'the connection test', (signal, deadline) =>
          connector.test(contextFor(context, connector, connection, signal, deadline)),
        );
      } catch (thrown) {
        const error = toUpstreamError(thrown);
        result = {
          ok: false,
          message: error.code === 'KRX_INTERNAL' ? 'the test failed unexpectedly' : error.message,
          details: { code: error.code, ...error.extensions },
        };
      }
      const durationMs = Math.round(performance.now() - started);
      const stored = await connections.recordHealth(
        tenantId,
        connectionId,
        { ...result, details: { ...result.details, durationMs } },
        'test',
      );
      return { ...result, healthStatus: stored.current, testedAt: stored.testedAt, durationMs };
    },

    /** Forgets cached connections and tokens, e.g. in tests. */
    forget(connectionId: string) {
      cache.delete(connectionId);
      auth.forget(connectionId);
    },

    async close() {
      for (const stop of unsubscribe) stop();
      await Promise.all(BUILT_IN_CONNECTORS.map((connector) => connector.shutdown?.().catch(() => {})));
    },
  };
}

export type ActionRunner = ReturnType<typeof createActionRunner>;
