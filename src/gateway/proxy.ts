/**
 * The transparent reverse proxy: `ANY /api/v1/proxy/:connectionId/*` forwards method, path, query,
 * headers (minus hop-by-hop and the caller's platform credentials) and body to the connection's base
 * URL with its credentials injected, and streams the answer back with its status and headers. Bodies
 * stream both ways, so memory stays flat whatever their size; the request body is still bounded by
 * API_GATEWAY_MAX_PAYLOAD_SIZE. Requests without a body are retried by policy; a streamed body cannot
 * be replayed, so those get one attempt.
 */
import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable, Transform } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import type { AuthService } from '../connectors/auth/service.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { scrubStream } from './body.js';
import type { CircuitRegistry } from './circuit.js';
import type { ConnectionCache } from './connection-cache.js';
import type { CallerIdentity } from './execute.js';
import type { ExecutionLog } from './execution-log.js';
import { forwardableHeaders } from './headers.js';
import type { GatewayRateLimiter, UpstreamPauses } from './ratelimit.js';
import { recordCall } from './record.js';
import { retryWithPolicy, toUpstreamError } from './retry.js';
import { buildUpstreamUrl } from './url.js';

export interface ProxyRequest {
  method: string;
  /** Path after `/proxy/:connectionId`, with its query string. */
  path: string;
  headers: IncomingMessage['headers'];
  body: Readable | null;
  signal?: AbortSignal;
  requestId: string;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: Readable;
  rateLimitHeaders: Record<string, string>;
}

const BODYLESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);

/** Fails the stream once more than `maxBytes` pass: a lying or absent Content-Length cannot bypass the limit. */
function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes)
        done(new KryonixError('KRX_PAYLOAD_TOO_LARGE', `the request body is larger than ${maxBytes} bytes`));
      else done(null, chunk);
    },
  });
}

function byteCounter(onEnd: (bytes: number) => void): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      onEnd(bytes);
      done();
    },
  });
}

/** Chains streams so an error or early close anywhere tears the whole chain down (no leaked sockets). */
function chain(...streams: [Readable, ...Transform[]]): Readable {
  return pipeline(streams, () => {}) as unknown as Readable;
}

export function createProxy(deps: {
  connections: ConnectionCache;
  limiter: GatewayRateLimiter;
  pauses: UpstreamPauses;
  circuits: CircuitRegistry;
  auth: AuthService;
  log: ExecutionLog;
  events: EventBus;
  maxPayloadBytes: number;
}) {
  return async function proxy(
    caller: CallerIdentity,
    connectionId: string,
    incoming: ProxyRequest,
  ): Promise<ProxyResponse> {
    const connection = await deps.connections.resolve(caller.context, caller.tenantId, connectionId);
    const url = buildUpstreamUrl(connection.baseUrl, { endpoint: incoming.path });
    const decision = await deps.limiter.check(
      {
        tenantId: caller.tenantId,
        apiKeyId: caller.apiKeyId,
        connectionId: connection.id,
        endpoint: url.pathname,
      },
      1,
    );
    if (!decision.allowed)
      throw new KryonixError('KRX_RATE_LIMITED', 'rate limit exceeded; retry after the Retry-After delay', {
        headers: decision.headers,
      });
    const waitMs = await deps.pauses.pausedFor(connection.id);
    if (waitMs > 0) {
      throw new KryonixError(
        'KRX_RATE_LIMITED',
        'the provider asked us to slow down; calls resume after its Retry-After',
        {
          headers: { 'retry-after': String(Math.ceil(waitMs / 1000)) },
        },
      );
    }
    const declared = Number(incoming.headers['content-length'] ?? 0);
    if (declared > deps.maxPayloadBytes)
      throw new KryonixError(
        'KRX_PAYLOAD_TOO_LARGE',
        `the request body is larger than ${deps.maxPayloadBytes} bytes`,
      );

    const method = incoming.method.toUpperCase();
    const hasBody =
      incoming.body !== null &&
      !(
        BODYLESS.has(method) &&
        !incoming.headers['content-length'] &&
        !incoming.headers['transfer-encoding']
      );
    const headers = {
      ...forwardableHeaders(incoming.headers, { dropPlatformCredentials: true }),
      'x-request-id': incoming.requestId,
    };
    const session = deps.auth.session({
      tenantId: connection.tenantId,
      connectionId: connection.id,
      authConfig: connection.authConfig,
      credentials: connection.credentials,
    });
    const startedAt = new Date();
    const executionId = deps.log.newId();
    let secretHeaders: string[] = [];

    const send = async (remainingMs: number) => {
      const applied = await session.apply();
      secretHeaders = Object.keys(applied.headers);
      const target = new URL(url.href);
      for (const [name, value] of Object.entries(applied.query)) target.searchParams.set(name, value);
      return request(target, {
        method: method as Dispatcher.HttpMethod,
        headers: { ...connection.defaultHeaders, ...headers, ...applied.headers },
        body: hasBody && incoming.body ? chain(incoming.body, byteLimit(deps.maxPayloadBytes)) : undefined,
        dispatcher: connection.dispatcher,
        // undici's own timers: far cheaper than an AbortSignal.timeout per call (measured: -25% throughput).
        headersTimeout: remainingMs,
        bodyTimeout: remainingMs,
        signal: incoming.signal,
      });
    };

    const record = (
      response: { status: number; headers: Record<string, string>; bytes: number } | null,
      error: KryonixError | null,
      retries: number,
    ) =>
      recordCall(deps.log, deps.events, {
        executionId,
        executionType: 'proxy',
        tenantId: caller.tenantId,
        connection,
        method,
        url: url.href,
        requestHeaders: headers,
        requestBody: hasBody ? { streamed: true } : null,
        response: response ? { ...response, body: { streamed: true, bytes: response.bytes } } : null,
        secretHeaders,
        error: error ? { code: error.code, message: error.message } : null,
        retries,
        cached: false,
        cacheStatus: null,
        startedAt,
        durationMs: Date.now() - startedAt.getTime(),
        triggeredBy: 'proxy',
      });

    let retries = 0;
    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await deps.circuits.run(
        { tenantId: caller.tenantId, connectionId: connection.id },
        connection.circuit,
        async () => {
          const deadline = Date.now() + connection.timeoutMs;
          if (hasBody)
            return send(connection.timeoutMs).catch((error: unknown) =>
              Promise.reject(toUpstreamError(error)),
            );
          const outcome = await retryWithPolicy(({ remainingMs }) => send(remainingMs), connection.retry, {
            method,
            deadline,
            signal: incoming.signal,
            responseOf: (result) => ({
              status: result.statusCode,
              retryAfter: result.headers['retry-after'] as string | undefined,
            }),
            release: (result) => result.body.dump(),
          });
          retries = outcome.retries;
          if (!outcome.ok) throw toUpstreamError(outcome.error);
          return outcome.value;
        },
        (result) => result.statusCode >= 500,
      );
    } catch (error) {
      const failure = error instanceof KryonixError ? error : toUpstreamError(error);
      record(null, failure, retries);
      throw failure;
    }

    const responseHeaders = forwardableHeaders(upstream.headers);
    if (connection.scrub.longest > 0) delete responseHeaders['content-length'];
    return {
      status: upstream.statusCode,
      headers: responseHeaders,
      rateLimitHeaders: decision.headers,
      // Scrubbing may change the length, so the upstream's Content-Length cannot be trusted when it is on.
      body: chain(
        upstream.body,
        ...(connection.scrub.longest > 0 ? [scrubStream(connection.scrub)] : []),
        byteCounter((bytes) =>
          record({ status: upstream.statusCode, headers: responseHeaders, bytes }, null, retries),
        ),
      ),
    };
  };
}

export type GatewayProxy = ReturnType<typeof createProxy>;
