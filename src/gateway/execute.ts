/**
 * `execute` and `batch`: the seed's executeAPICall / executeBatchAPICall. A call names a path under
 * the connection; the gateway maps the input, runs the stored request pipeline (the matching
 * endpoint's, else the connection's), applies the policies (rate limit, cache, retries, circuit), runs
 * the stored response pipeline on a successful answer, maps the response and records the execution
 * with the step runs API_TRANSFORM_RECORD keeps. Upstream 4xx/5xx answers are results
 * (`status: "error"` with the upstream's statusCode), not gateway errors.
 */
import pLimit from 'p-limit';
import type { RequestContext } from '../platform/audit.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { type CompiledPipeline, evaluateMapping, type Mapping } from '../transform/index.js';
import { decodeBody, scrubValue } from './body.js';
import type { ResponseCache } from './cache.js';
import { type ConnectionCache, endpointFor, type ResolvedConnection } from './connection-cache.js';
import type { ExecutionLog, ExecutionType } from './execution-log.js';
import { forwardableHeaders } from './headers.js';
import type { GatewayRateLimiter } from './ratelimit.js';
import { recordCall } from './record.js';
import type { StepRecording, StepRecordingFactory } from './step-records.js';
import type { UpstreamCaller, UpstreamResponse } from './upstream.js';
import { buildUpstreamUrl } from './url.js';

export type MappingInput = string | Mapping;

export interface ExecuteCallInput {
  method: string;
  endpoint: string;
  data?: unknown;
  headers?: Record<string, string>;
  queryParams?: Record<string, string | number | boolean | Array<string | number | boolean>>;
  inputMapping?: MappingInput;
  responseMapping?: MappingInput;
  /** Whole-call timeout in ms, retries included. */
  timeout?: number;
  skipCache?: boolean;
  triggeredBy?: string;
  idempotencyKey?: string;
}

export interface APICallResult {
  status: 'success' | 'error';
  data?: unknown;
  dataEncoding?: 'base64';
  cached: boolean;
  cacheStatus?: string;
  statusCode?: number;
  headers?: Record<string, string>;
  executionTime: number;
  executionId: string;
  retries: number;
  error?: string;
  code?: string;
}

export interface CallerIdentity {
  context: RequestContext;
  tenantId: string;
  apiKeyId: string | null;
}

export interface GatewayService {
  execute(
    caller: CallerIdentity,
    connectionId: string,
    input: ExecuteCallInput,
    signal?: AbortSignal,
  ): Promise<{ result: APICallResult; rateLimitHeaders: Record<string, string> }>;
  batch(
    caller: CallerIdentity,
    connectionId: string,
    inputs: ExecuteCallInput[],
    signal?: AbortSignal,
  ): Promise<{ results: APICallResult[]; rateLimitHeaders: Record<string, string> }>;
}

const toMapping = (mapping: MappingInput): Mapping =>
  typeof mapping === 'string' ? { expression: mapping } : mapping;

function requestBodyOf(data: unknown, headers: Record<string, string>): Buffer | null {
  if (data === undefined || data === null) return null;
  if (typeof data === 'string') return Buffer.from(data);
  headers['content-type'] ??= 'application/json';
  return Buffer.from(JSON.stringify(data));
}

export interface GatewayDeps {
  connections: ConnectionCache;
  limiter: GatewayRateLimiter;
  cache: ResponseCache;
  upstream: UpstreamCaller;
  log: ExecutionLog;
  events: EventBus;
  defaultTimeoutMs: number;
  recording: StepRecordingFactory;
}

/** Runs a stored pipeline; a filter that stops it stops the call's request, or empties its answer. */
async function runStored(
  pipeline: CompiledPipeline,
  side: 'request' | 'response',
  data: unknown,
  recording: StepRecording,
): Promise<unknown> {
  const result = await pipeline.run(data ?? null, recording.record);
  if (result.filtered && side === 'request')
    throw new KryonixError(
      'KRX_TRANSFORM_FAILED',
      'a filter of the stored request pipeline rejected the data; nothing was sent',
      { extensions: { pipeline: side, steps: result.steps } },
    );
  return result.output;
}

export function createGatewayService(deps: GatewayDeps): GatewayService {
  const { connections, limiter, cache, upstream, log, events } = deps;

  async function admit(
    caller: CallerIdentity,
    connection: ResolvedConnection,
    endpoint: string | null,
    points: number,
  ) {
    const decision = await limiter.check(
      { tenantId: caller.tenantId, apiKeyId: caller.apiKeyId, connectionId: connection.id, endpoint },
      points,
    );
    if (!decision.allowed) {
      throw new KryonixError(
        'KRX_RATE_LIMITED',
        `rate limit exceeded (${decision.scope ?? 'default'}); retry after the Retry-After delay`,
        {
          headers: decision.headers,
        },
      );
    }
    return decision.headers;
  }

  /** One call, never throwing for upstream trouble: failures become error results (batch needs that). */
  async function callOnce(
    caller: CallerIdentity,
    connection: ResolvedConnection,
    input: ExecuteCallInput,
    executionType: ExecutionType,
    signal?: AbortSignal,
  ): Promise<APICallResult> {
    const executionId = log.newId();
    const startedAt = new Date();
    const method = input.method.toUpperCase();
    const { scrub } = connection;
    const endpoint = endpointFor(connection, method, input.endpoint);
    const { request: requestPipeline, response: responsePipeline } = (endpoint ?? connection).transformations;
    const recording = deps.recording({
      tenantId: caller.tenantId,
      executionId,
      scrub: scrub.longest > 0 ? scrub : undefined,
    });
    let url: URL | undefined;
    let headers: Record<string, string> = {};
    let outcome:
      | { response: UpstreamResponse; retries: number; secretHeaders: string[]; cacheStatus: string }
      | undefined;
    let failure: KryonixError | undefined;
    let result: APICallResult;
    try {
      url = buildUpstreamUrl(connection.baseUrl, { endpoint: input.endpoint, query: input.queryParams });
      // The gateway encodes the body, so it sets the length.
      headers = forwardableHeaders(input.headers ?? {}, {
        dropPlatformCredentials: true,
        dropContentLength: true,
      });
      const inputMapping = input.inputMapping && toMapping(input.inputMapping);
      let data = inputMapping
        ? await recording.step('map', 'inputMapping', inputMapping, input.data ?? null, () =>
            evaluateMapping(inputMapping, input.data ?? null),
          )
        : input.data;
      if (requestPipeline) data = await runStored(requestPipeline, 'request', data, recording);
      const body = requestBodyOf(data, headers);
      const deadline =
        Date.now() + Math.min(input.timeout ?? connection.timeoutMs, deps.defaultTimeoutMs * 10);
      const target = url;
      let upstreamCall: { retries: number; secretHeaders: string[] } = { retries: 0, secretHeaders: [] };
      const cached = await cache.fetch(
        {
          tenantId: caller.tenantId,
          connectionId: connection.id,
          method,
          url: target.href,
          path: input.endpoint,
          headers,
        },
        async (conditional) => {
          const called = await upstream.call(connection, {
            method,
            url: target,
            headers: { ...headers, ...conditional },
            body,
            idempotencyKey: input.idempotencyKey,
            deadline,
            signal,
          });
          upstreamCall = called;
          return called.response;
        },
        { skipCache: input.skipCache },
      );
      outcome = { ...upstreamCall, response: cached.response, cacheStatus: cached.cacheStatus };
      const decoded = decodeBody(cached.response.body, cached.response.headers['content-type']);
      const ok = cached.response.status < 400;
      // Stored pipelines shape the provider's answers, not its error documents.
      let mapped =
        responsePipeline && ok && decoded.encoding === undefined
          ? await runStored(responsePipeline, 'response', decoded.data, recording)
          : decoded.data;
      const responseMapping = input.responseMapping && toMapping(input.responseMapping);
      if (responseMapping && decoded.encoding === undefined)
        mapped = await recording.step('map', 'responseMapping', responseMapping, mapped, () =>
          evaluateMapping(responseMapping, mapped),
        );
      result = {
        status: ok ? 'success' : 'error',
        data: scrubValue(mapped, scrub),
        ...(decoded.encoding ? { dataEncoding: decoded.encoding } : {}),
        cached: cached.cacheStatus === 'HIT' || cached.cacheStatus === 'REVALIDATED',
        cacheStatus: cached.cacheStatus,
        statusCode: cached.response.status,
        headers: scrubValue(cached.response.headers, scrub),
        executionTime: Date.now() - startedAt.getTime(),
        executionId,
        retries: outcome.retries,
        ...(ok ? {} : { error: `upstream answered ${cached.response.status}` }),
      };
    } catch (error) {
      failure =
        error instanceof KryonixError ? error : new KryonixError('KRX_INTERNAL', undefined, { cause: error });
      result = {
        status: 'error',
        cached: false,
        executionTime: Date.now() - startedAt.getTime(),
        executionId,
        retries: (error as { retries?: number }).retries ?? 0,
        error: scrub(failure.message),
        code: failure.code,
      };
    }

    recordCall(log, events, {
      executionId,
      executionType,
      tenantId: caller.tenantId,
      connection,
      endpointId: endpoint?.id ?? null,
      method,
      url: url?.href ?? `${connection.baseUrl.href}${input.endpoint}`,
      requestHeaders: headers,
      requestBody: input.data,
      response: outcome
        ? {
            status: outcome.response.status,
            headers: outcome.response.headers,
            body: result.data,
            bytes: outcome.response.body.length,
          }
        : null,
      secretHeaders: outcome?.secretHeaders ?? [],
      error: failure ? { code: failure.code, message: failure.message } : null,
      retries: result.retries,
      cached: result.cached,
      cacheStatus: outcome?.cacheStatus ?? null,
      startedAt,
      durationMs: result.executionTime,
      triggeredBy: input.triggeredBy ?? 'api',
      transformations: recording.rows(),
    });
    if (failure && executionType !== 'batch')
      throw Object.assign(failure, { extensions: { ...failure.extensions, executionId } });
    return result;
  }

  return {
    async execute(caller, connectionId, input, signal) {
      const connection = await connections.resolve(caller.context, caller.tenantId, connectionId);
      const rateLimitHeaders = await admit(caller, connection, input.endpoint, 1);
      return { result: await callOnce(caller, connection, input, 'api_call', signal), rateLimitHeaders };
    },

    async batch(caller, connectionId, inputs, signal) {
      const connection = await connections.resolve(caller.context, caller.tenantId, connectionId);
      // The whole batch is admitted or refused up front: half a batch is worse than none.
      const rateLimitHeaders = await admit(caller, connection, null, inputs.length);
      const limit = pLimit(connection.batchConcurrency);
      let nextStart = Date.now();
      const results = await Promise.all(
        inputs.map((input) =>
          limit(async () => {
            if (connection.batchDelayMs > 0) {
              // Starts are spaced by batchDelay, whatever the concurrency.
              const wait = nextStart - Date.now();
              nextStart = Math.max(nextStart, Date.now()) + connection.batchDelayMs;
              if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
            }
            return callOnce(caller, connection, input, 'batch', signal);
          }),
        ),
      );
      return { results, rateLimitHeaders };
    },
  };
}
