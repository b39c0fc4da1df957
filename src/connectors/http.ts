/**
 * HTTP for connectors: one request function bound to a connection. It adds the connection's auth
 * (refreshing once on a 401), goes through the SSRF-guarded dispatcher, honours the provider's
 * rate-limit headers (a connection told to wait is not called until the wait is over), and turns
 * upstream failures into KryonixErrors whose code says who is at fault and whether a retry may help:
 *
 * - 429 → KRX_RATE_LIMITED (with Retry-After), 401/403 → KRX_UPSTREAM_AUTH_FAILED,
 * - a status in the connector's retry rules → KRX_UPSTREAM_ERROR (`retryable`),
 * - other 5xx → KRX_UPSTREAM_ERROR (not retryable), other 4xx → KRX_UPSTREAM_REJECTED.
 */
import { type Dispatcher, request } from 'undici';
import { parseRetryAfter } from '../gateway/retry.js';
import { findTargetForbidden } from '../gateway/ssrf.js';
import { KryonixError } from '../platform/errors.js';
import type { AuthSession } from './auth/types.js';
import { type ConnectorDefinition, DEFAULT_RETRY_RULES } from './sdk.js';

export type QueryValue =
  | string
  | number
  | boolean
  | undefined
  | null
  | readonly (string | number | boolean)[];

export interface HttpRequest {
  method?: string;
  /** Absolute, or relative to `baseUrl`. */
  url: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** JSON-encoded unless a string or Buffer. */
  body?: unknown;
  /** Form-encoded body. */
  form?: Record<string, string>;
  /** Send the connection's auth (default true). */
  auth?: boolean;
  /** How to read the body: by content type (default), as text, or as bytes. */
  responseType?: 'auto' | 'text' | 'buffer';
  /** Statuses answered as results instead of errors (besides 2xx). */
  acceptStatuses?: number[];
}

export interface HttpResponse<T = any> {
  status: number;
  headers: Record<string, string>;
  data: T;
  url: string;
}

export type ConnectorHttp = <T = any>(request: HttpRequest) => Promise<HttpResponse<T>>;

/** Per-connection "do not call before" times, learnt from 429s and exhausted rate-limit headers. */
export class ProviderLimits {
  private readonly blockedUntil = new Map<string, number>();

  waitMs(connectionId: string, now = Date.now()): number {
    const until = this.blockedUntil.get(connectionId);
    if (until === undefined) return 0;
    if (until <= now) {
      this.blockedUntil.delete(connectionId);
      return 0;
    }
    return until - now;
  }

  block(connectionId: string, untilMs: number): void {
    this.blockedUntil.set(connectionId, Math.max(untilMs, this.blockedUntil.get(connectionId) ?? 0));
  }
}

export function upstreamError(
  connector: Pick<ConnectorDefinition, 'displayName'>,
  status: number,
  description: { message: string; code?: string },
  options: { retryable?: boolean; retryAfterMs?: number } = {},
): KryonixError {
  const extensions = {
    upstreamStatus: status,
    ...(description.code ? { upstreamError: description.code } : {}),
    upstreamMessage: description.message,
    retryable: options.retryable ?? false,
  };
  const headers: Record<string, string> =
    options.retryAfterMs !== undefined
      ? { 'Retry-After': String(Math.ceil(options.retryAfterMs / 1000)) }
      : {};
  const detail = `${connector.displayName} answered ${status}${description.code ? ` ${description.code}` : ''}: ${description.message}`;
  if (status === 429)
    return new KryonixError('KRX_RATE_LIMITED', detail, {
      extensions: { ...extensions, retryable: true },
      headers,
    });
  if (status === 401 || status === 403)
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', detail, { extensions });
  if (options.retryable || status >= 500)
    return new KryonixError('KRX_UPSTREAM_ERROR', detail, { extensions, headers });
  return new KryonixError('KRX_UPSTREAM_REJECTED', detail, { extensions });
}

/** Generic reading of an error body: `{error:{message,code}}`, `{error, error_description}`, `{message}`, text. */
export function describeGenericError(status: number, body: unknown): { message: string; code?: string } {
  if (body && typeof body === 'object') {
    const b = body as Record<string, any>;
    if (b.error && typeof b.error === 'object') {
      const message =
        typeof b.error.message === 'string'
          ? b.error.message
          : (b.error.message?.value ?? JSON.stringify(b.error).slice(0, 300));
      return { message, code: b.error.code !== undefined ? String(b.error.code) : b.error.status };
    }
    if (typeof b.error === 'string')
      return { message: b.error_description ?? b.message ?? b.error, code: b.error };
    if (typeof b.message === 'string')
      return { message: b.message, code: b.code !== undefined ? String(b.code) : undefined };
    return { message: JSON.stringify(body).slice(0, 300) };
  }
  if (typeof body === 'string' && body.trim() !== '') return { message: body.trim().slice(0, 300) };
  return { message: `HTTP ${status}` };
}

function buildUrl(
  baseUrl: string | undefined,
  path: string,
  query: Record<string, QueryValue> | undefined,
  authQuery: Record<string, string>,
): string {
  let url: URL;
  if (/^https?:\/\//i.test(path)) url = new URL(path);
  else {
    if (!baseUrl)
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        `a relative URL (${path}) needs the connection's baseUrl`,
      );
    url = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    const relative = path.replace(/^\//, '');
    url = new URL(relative, url);
    if (url.origin !== new URL(baseUrl).origin)
      throw new KryonixError('KRX_VALIDATION_FAILED', 'the path must stay on the base URL');
  }
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.set(key, String(value));
  }
  for (const [key, value] of Object.entries(authQuery)) url.searchParams.set(key, value);
  return url.toString();
}

function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers))
    if (value !== undefined) out[key] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

export interface HttpBinding {
  connector: ConnectorDefinition;
  connectionId: string;
  baseUrl?: string;
  defaultHeaders?: Record<string, string>;
  auth: AuthSession;
  dispatcher: Dispatcher;
  limits: ProviderLimits;
  signal: AbortSignal;
  /** Largest response body read, in bytes. */
  maxResponseBytes?: number;
}

export function createConnectorHttp(binding: HttpBinding): ConnectorHttp {
  const { connector, connectionId, limits } = binding;
  const rules = connector.retry ?? DEFAULT_RETRY_RULES;
  const maxBytes = binding.maxResponseBytes ?? 50 * 1024 * 1024;

  function observeLimits(
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): number | undefined {
    let retryAfterMs: number | undefined;
    for (const name of rules.retryAfterHeaders ?? ['retry-after']) {
      retryAfterMs = parseRetryAfter(headerValue(headers, name), Date.now());
      if (retryAfterMs !== undefined) break;
    }
    const spec = connector.rateLimitHeaders;
    if (spec?.remaining && spec.reset) {
      const remaining = Number(headerValue(headers, spec.remaining));
      const reset = Number(headerValue(headers, spec.reset));
      if (remaining === 0 && Number.isFinite(reset)) {
        const until = spec.resetUnit === 'epoch-seconds' ? reset * 1000 : Date.now() + reset * 1000;
        limits.block(connectionId, until);
        retryAfterMs ??= Math.max(0, until - Date.now());
      }
    }
    if (status === 429) limits.block(connectionId, Date.now() + (retryAfterMs ?? 1000));
    return retryAfterMs;
  }

  return async function http<T>(req: HttpRequest): Promise<HttpResponse<T>> {
    const waitMs = limits.waitMs(connectionId);
    if (waitMs > 0) {
      throw new KryonixError(
        'KRX_RATE_LIMITED',
        `${connector.displayName} asked to wait ${Math.ceil(waitMs / 1000)} s before the next call`,
        {
          headers: { 'Retry-After': String(Math.ceil(waitMs / 1000)) },
          extensions: { retryable: true },
        },
      );
    }
    const method = (req.method ?? 'GET').toUpperCase();
    let body: string | Buffer | undefined;
    const headers: Record<string, string> = {
      accept: 'application/json, */*;q=0.5',
      ...binding.defaultHeaders,
    };
    if (req.form) {
      body = new URLSearchParams(req.form).toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (req.body !== undefined) {
      if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) body = req.body;
      else {
        body = JSON.stringify(req.body);
        headers['content-type'] = 'application/json';
      }
    }
    for (const [key, value] of Object.entries(req.headers ?? {})) headers[key.toLowerCase()] = value;

    for (let attempt = 1; ; attempt++) {
      const applied = req.auth === false ? { headers: {}, query: {} } : await binding.auth.apply();
      const url = buildUrl(binding.baseUrl, req.url, req.query, applied.query);
      let response: Dispatcher.ResponseData;
      try {
        response = await request(url, {
          method: method as Dispatcher.HttpMethod,
          headers: { ...headers, ...applied.headers },
          body,
          dispatcher: binding.dispatcher,
          signal: binding.signal,
        });
      } catch (error) {
        const forbidden = findTargetForbidden(error);
        if (forbidden) throw forbidden;
        if (binding.signal.aborted)
          throw new KryonixError('KRX_UPSTREAM_TIMEOUT', `${connector.displayName} did not answer in time`);
        const code = (error as NodeJS.ErrnoException).code;
        throw new KryonixError(
          'KRX_UPSTREAM_UNREACHABLE',
          `${connector.displayName} could not be reached${code ? ` (${code})` : ''}`,
          {
            cause: error,
            extensions: { retryable: true },
          },
        );
      }
      const status = response.statusCode;
      if (status === 401 && req.auth !== false && attempt === 1 && (await binding.auth.refresh())) {
        await response.body.dump();
        continue; // refreshed once: a second 401 is final
      }
      const retryAfterMs = observeLimits(status, response.headers);
      const length = Number(headerValue(response.headers, 'content-length') ?? 0);
      if (length > maxBytes) {
        await response.body.dump();
        throw new KryonixError(
          'KRX_LIMIT_EXCEEDED',
          `the response of ${length} bytes is larger than ${maxBytes}`,
        );
      }
      const raw = Buffer.from(await response.body.arrayBuffer());
      if (raw.length > maxBytes)
        throw new KryonixError('KRX_LIMIT_EXCEEDED', `the response is larger than ${maxBytes} bytes`);
      const contentType = headerValue(response.headers, 'content-type') ?? '';
      let data: unknown;
      if (req.responseType === 'buffer') data = raw;
      else if (req.responseType === 'text') data = raw.toString('utf8');
      else if (
        /[/+]json/i.test(contentType) ||
        (contentType === '' && /^\s*[[{]/.test(raw.toString('utf8', 0, 16)))
      ) {
        try {
          data = raw.length === 0 ? null : JSON.parse(raw.toString('utf8'));
        } catch {
          data = raw.toString('utf8');
        }
      } else data = raw.toString('utf8');

      const ok = (status >= 200 && status < 300) || (req.acceptStatuses ?? []).includes(status);
      if (ok) return { status, headers: flatHeaders(response.headers), data: data as T, url };
      const description = (connector.describeError?.(status, data) ?? describeGenericError(status, data)) as {
        message: string;
        code?: string;
      };
      throw upstreamError(connector, status, description, {
        retryable: rules.statuses.includes(status),
        retryAfterMs,
      });
    }
  };
}
