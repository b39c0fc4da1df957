/**
 * `ANY /webhooks/:slug`, independent of the HTTP framework. The order of work is the contract:
 * size limit (the server) → endpoint → source → unsigned handshakes → method → authentication → signed
 * handshakes → rate limit → dedup → validation → transform → store (durably, with the fan-out to
 * subscriptions in the same transaction) → answer. A 2xx is only ever sent after the commit.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { TransformationRecord } from '../../gateway/execution-log.js';
import type { StepRecordingFactory } from '../../gateway/step-records.js';
import type { Database } from '../../platform/db/client.js';
import { KryonixError } from '../../platform/errors.js';
import type { EventBus } from '../../platform/events.js';
import { type CidrList, ipInList } from '../../platform/net/cidr.js';
import { clientIp } from '../../platform/net/client-ip.js';
import { inboundPath } from '../endpoints.js';
import type { Fanout } from '../outbound/fanout.js';
import { safeEqual } from '../signing/constant-time.js';
import { deliveryIdOf, type RequestHeaders, verifyInbound } from '../signing/index.js';
import { parseBody } from './body.js';
import type { EndpointCache, LiveEndpoint } from './endpoint-cache.js';
import type { RejectionLog } from './rejections.js';
import type { InboundStore } from './store.js';

export interface InboundHttpRequest {
  readonly slug: string;
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly query: Record<string, string | string[] | undefined>;
  readonly headers: RequestHeaders;
  readonly rawBody: Buffer;
  readonly remoteAddress: string | undefined;
}

export interface InboundHttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** Headers never copied into the stored event: credentials and signatures. */
const HIDDEN_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-webhook-secret',
  'x-hub-signature',
  'x-hub-signature-256',
  'stripe-signature',
  'webhook-signature',
  'x-slack-signature',
  'x-shopify-hmac-sha256',
  'svix-signature',
]);

const DEFAULT_DEDUP_WINDOW_SECONDS = 86_400;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Inbound pipelines' step runs for data_transformations: which to keep, and where they go. */
export interface InboundStepRecords {
  recording: StepRecordingFactory;
  keep(rows: TransformationRecord[]): void;
}

export function createReceiver(deps: {
  db: Database;
  events: EventBus;
  cache: EndpointCache;
  fanout: Fanout;
  store: InboundStore;
  rejections: RejectionLog;
  trustedProxies: CidrList;
  steps?: InboundStepRecords;
  onStored?: () => void;
}) {
  const { db, cache, rejections } = deps;
  const recentKeys = new LRUCache<string, true>({ max: 50_000 });
  const counters = new Map<string, { count: number; last: string }>();

  function reject(
    endpoint: LiveEndpoint,
    request: InboundHttpRequest,
    ip: string | undefined,
    error: KryonixError,
  ) {
    rejections.record({
      tenantId: endpoint.tenantId,
      endpointId: endpoint.id,
      status: error.status,
      reason: `${error.code}: ${error.message}`,
      sample: {
        method: request.method,
        sourceIp: ip ?? null,
        contentType: first(request.headers['content-type'] as string | undefined) ?? null,
        userAgent: first(request.headers['user-agent'] as string | undefined) ?? null,
        bytes: request.rawBody.length,
      },
    });
    return error;
  }

  function visibleHeaders(endpoint: LiveEndpoint, headers: RequestHeaders): Record<string, string> {
    const hidden = new Set(HIDDEN_HEADERS);
    for (const name of ['header', 'timestampHeader', 'idHeader']) {
      const configured = endpoint.auth.config?.[name];
      if (typeof configured === 'string') hidden.add(configured.toLowerCase());
    }
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined || hidden.has(name)) continue;
      out[name] = (typeof value === 'string' ? value : value.join(', ')).slice(0, 2048);
    }
    return out;
  }

  function text(status: number, body: string): InboundHttpResponse {
    return {
      status,
      headers: { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' },
      body,
    };
  }

  /** Microsoft Graph and GET challenges: unsigned by design, answered before method and authentication. */
  function unsignedHandshake(
    endpoint: LiveEndpoint,
    request: InboundHttpRequest,
  ): InboundHttpResponse | undefined {
    const handshakes = endpoint.options.handshakes;
    const validationToken = first(request.query.validationToken);
    if (handshakes?.graph && validationToken !== undefined && validationToken.length <= 4096) {
      return text(200, validationToken);
    }
    const challenge = handshakes?.getChallenge;
    if (request.method === 'GET' && challenge) {
      const value = first(request.query[challenge.param]);
      if (value === undefined) return undefined;
      if (challenge.verifyTokenParam) {
        const token = first(request.query[challenge.verifyTokenParam]) ?? '';
        if (!endpoint.verifyToken || !safeEqual(token, endpoint.verifyToken)) {
          throw new KryonixError('KRX_UNAUTHENTICATED', `${challenge.verifyTokenParam} does not match`);
        }
      }
      return text(200, value.slice(0, 4096));
    }
    return undefined;
  }

  async function handle(request: InboundHttpRequest): Promise<InboundHttpResponse> {
    const endpoint = await cache.get(request.slug);
    if (!endpoint?.isActive) throw new KryonixError('KRX_NOT_FOUND', 'no webhook endpoint here');
    const ip = clientIp(request.remoteAddress, request.headers['x-forwarded-for'], deps.trustedProxies);
    const fail = (error: KryonixError) => reject(endpoint, request, ip, error);

    if (endpoint.allowedSources && (ip === undefined || !ipInList(ip, endpoint.allowedSources))) {
      throw fail(new KryonixError('KRX_FORBIDDEN', 'the source address is not allowed for this endpoint'));
    }
    let handshake: InboundHttpResponse | undefined;
    try {
      handshake = unsignedHandshake(endpoint, request);
    } catch (error) {
      throw error instanceof KryonixError ? fail(error) : error;
    }
    if (handshake) return handshake;

    if (!endpoint.allowedMethods.has(request.method)) {
      throw fail(
        new KryonixError('KRX_METHOD_NOT_ALLOWED', `${request.method} is not allowed here`, {
          headers: { allow: [...endpoint.allowedMethods].join(', ') },
        }),
      );
    }

    const verdict = await verifyInbound(
      { headers: request.headers, rawBody: request.rawBody, method: request.method, url: request.url },
      endpoint.auth,
    );
    if (!verdict.ok) {
      throw fail(new KryonixError('KRX_UNAUTHENTICATED', `authentication failed: ${verdict.reason}`));
    }

    const parsed = parseBody(request.rawBody, first(request.headers['content-type'] as string | undefined));
    const payload = parsed.ok ? parsed.value : undefined;

    // Slack signs its url_verification request: answered only once it is authenticated.
    if (
      endpoint.options.handshakes?.slack !== false &&
      payload &&
      typeof payload === 'object' &&
      (payload as { type?: unknown }).type === 'url_verification' &&
      typeof (payload as { challenge?: unknown }).challenge === 'string'
    ) {
      return { status: 200, headers: {}, body: { challenge: (payload as { challenge: string }).challenge } };
    }

    try {
      await endpoint.limiter.consume(endpoint.id);
    } catch (result) {
      const seconds = Math.max(
        1,
        Math.ceil(((result as { msBeforeNext?: number }).msBeforeNext ?? 60_000) / 1000),
      );
      throw fail(
        new KryonixError(
          'KRX_RATE_LIMITED',
          `this endpoint accepts ${endpoint.rateLimit} requests per hour`,
          {
            headers: { 'retry-after': String(seconds) },
          },
        ),
      );
    }

    const deliveryId =
      verdict.deliveryId ?? deliveryIdOf(endpoint.auth.type, request.headers, payload, endpoint.auth.config);
    const windowSeconds = endpoint.options.dedupWindowSeconds ?? DEFAULT_DEDUP_WINDOW_SECONDS;
    const dedupKey = deliveryId !== undefined && windowSeconds > 0 ? deliveryId : undefined;
    if (dedupKey !== undefined && recentKeys.has(`${endpoint.id}|${dedupKey}`)) {
      return { status: 200, headers: {}, body: { received: true, duplicate: true } };
    }

    if (!parsed.ok) throw fail(new KryonixError('KRX_PAYLOAD_INVALID', parsed.reason));
    if (endpoint.validate) {
      const valid = endpoint.validate(payload);
      if (!valid) {
        const errors = (endpoint.validate.errors ?? []).slice(0, 20).map((issue) => ({
          path: issue.instancePath || '/',
          message: issue.message ?? 'is invalid',
        }));
        throw fail(
          new KryonixError(
            'KRX_PAYLOAD_INVALID',
            `the payload does not match the endpoint's schema: ${errors[0]?.path} ${errors[0]?.message}`,
            {
              extensions: { errors },
            },
          ),
        );
      }
    }

    let output: unknown = payload;
    let filtered = false;
    if (endpoint.pipeline) {
      const recording = deps.steps?.recording({ tenantId: endpoint.tenantId, executionId: null });
      try {
        const result = await endpoint.pipeline.run(payload, recording?.record);
        // Plain JSON: pipeline results may be null-prototype objects, which the SQL layer cannot bind.
        output = result.output === undefined ? null : JSON.parse(JSON.stringify(result.output));
        filtered = result.filtered;
      } catch (error) {
        throw error instanceof KryonixError ? fail(error) : error;
      } finally {
        const rows = recording?.rows();
        if (rows?.length) deps.steps?.keep(rows);
      }
    }

    const receivedAt = new Date();
    const eventId = randomUUID();
    const data = {
      endpointId: endpoint.id,
      endpointName: endpoint.name,
      deliveryId: deliveryId ?? null,
      receivedAt: receivedAt.toISOString(),
      method: request.method,
      headers: visibleHeaders(endpoint, request.headers),
      query: request.query,
      payload: output ?? null,
    };
    const planned = filtered
      ? []
      : await deps.fanout.plan(endpoint.tenantId, {
          id: eventId,
          type: 'webhook.received',
          timestamp: receivedAt.toISOString(),
          data,
        });

    const id = randomUUID();
    const stored = await deps.store.store({
      id,
      tenantId: endpoint.tenantId,
      endpointId: endpoint.id,
      dedup: dedupKey === undefined ? undefined : { key: dedupKey, windowSeconds },
      row: {
        id,
        tenantId: endpoint.tenantId,
        endpointId: endpoint.id,
        eventType: 'webhook.received',
        eventData: data,
        payload: (output === null || output === undefined ? {} : output) as object,
        targetUrl: inboundPath(endpoint.slug),
        status: filtered ? 'filtered' : 'received',
        eventId,
        deliveredAt: receivedAt,
      },
      deliveries: planned,
    });
    if (dedupKey !== undefined) recentKeys.set(`${endpoint.id}|${dedupKey}`, true);
    if (!stored) return { status: 200, headers: {}, body: { received: true, duplicate: true } };

    const counter = counters.get(endpoint.id) ?? { count: 0, last: '' };
    counter.count++;
    counter.last = receivedAt.toISOString();
    counters.set(endpoint.id, counter);
    if (!filtered) {
      deps.events.publish('webhook.received', {
        tenantId: endpoint.tenantId,
        webhookId: id,
        eventId,
        ...data,
      });
    }
    if (planned.length > 0) deps.onStored?.();

    const custom = endpoint.response;
    if (custom) {
      return { status: custom.status ?? 200, headers: custom.headers ?? {}, body: custom.body ?? '' };
    }
    return { status: 200, headers: {}, body: { received: true, id } };
  }

  /** Writes trigger counts and last-triggered times gathered since the last call. */
  async function flushCounters(): Promise<void> {
    if (counters.size === 0) return;
    const rows = [...counters].map(([id, c]) => ({ id, n: c.count, last: c.last }));
    counters.clear();
    await db.pool.query(
      `UPDATE webhook_endpoints e
       SET trigger_count = e.trigger_count + v.n, last_triggered = greatest(e.last_triggered, v.last)
       FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, n int, last timestamptz)
       WHERE e.id = v.id`,
      [JSON.stringify(rows)],
    );
  }

  return {
    handle,
    flushCounters,
    /** Records a rejection the server made before the handler ran (body too large). */
    async rejectedEarly(
      slug: string,
      request: Omit<InboundHttpRequest, 'slug'>,
      error: KryonixError,
    ): Promise<void> {
      const endpoint = await cache.get(slug).catch(() => null);
      if (!endpoint) return;
      const ip = clientIp(request.remoteAddress, request.headers['x-forwarded-for'], deps.trustedProxies);
      reject(endpoint, { ...request, slug }, ip, error);
    },
  };
}

export type Receiver = ReturnType<typeof createReceiver>;
