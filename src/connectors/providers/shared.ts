/**
 * Pieces every provider connector shares: configurable endpoint URLs (default the real provider, so
 * tests point them at local fakes), the runner's timeout/retry settings, provider errors mapped onto
 * our error codes by *kind* (a table per provider, never message text), and next-page URLs kept on
 * the origin that answered.
 */
import { KryonixError } from '../../platform/errors.js';
import type { ActionContext, JsonSchema } from '../sdk.js';

/** A URL setting of a connection (an API root, a token endpoint): http(s) only. */
export function urlField(description: string, defaultUrl?: string): JsonSchema {
  return {
    type: 'string',
    format: 'uri',
    pattern: '^https?://',
    maxLength: 2000,
    ...(defaultUrl ? { default: defaultUrl } : {}),
    description,
  };
}

/** The runner reads these from every connection's config. */
export const RUNNER_SETTINGS: Record<string, JsonSchema> = {
  timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-run timeout in ms' },
  retry: {
    type: 'object',
    description: "Retry policy of idempotent actions (the provider's Retry-After is honoured)",
    properties: {
      attempts: { type: 'integer', minimum: 0, maximum: 20, description: 'Retries after the first attempt' },
      delayMs: { type: 'integer', minimum: 0, description: 'Base backoff in ms' },
    },
    additionalProperties: false,
  },
};

/** A string setting of the connection's config, or `fallback`. */
export function setting(context: Pick<ActionContext, 'connection'>, key: string, fallback: string): string {
  const value = context.connection.config[key];
  return typeof value === 'string' && value !== '' ? value : fallback;
}

/** `base` + `path` with exactly one slash between them. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

/**
 * Who is at fault when a provider says no: `auth` (credentials or permissions), `user` (the input:
 * never retried), `retryable` (transient on the provider's side), `server` (final provider failure),
 * `rate` (a limit: wait).
 */
export type FailureKind = 'auth' | 'user' | 'retryable' | 'server' | 'rate';

const CODE_OF_KIND = {
  auth: 'KRX_UPSTREAM_AUTH_FAILED',
  user: 'KRX_UPSTREAM_REJECTED',
  retryable: 'KRX_UPSTREAM_ERROR',
  server: 'KRX_UPSTREAM_ERROR',
  rate: 'KRX_RATE_LIMITED',
} as const;

export interface ProviderFailure {
  /** The HTTP status the provider answered (Slack says no with a 200). */
  status: number;
  /** The provider's own error code (`channel_not_found`, `MALFORMED_QUERY`). */
  code?: string;
  message: string;
  kind: FailureKind;
  retryAfterMs?: number;
  /** More of the provider's answer worth showing (never secrets). */
  details?: Record<string, unknown>;
}

/** A provider's refusal as the problem document our HTTP layer would have produced for it. */
export function providerError(displayName: string, failure: ProviderFailure): KryonixError {
  const retryable = failure.kind === 'retryable' || failure.kind === 'rate';
  const headers: Record<string, string> =
    failure.retryAfterMs !== undefined
      ? { 'Retry-After': String(Math.max(1, Math.ceil(failure.retryAfterMs / 1000))) }
      : {};
  return new KryonixError(
    CODE_OF_KIND[failure.kind],
    `${displayName} answered ${failure.status}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`,
    {
      headers,
      extensions: {
        upstreamStatus: failure.status,
        ...(failure.code ? { upstreamError: failure.code } : {}),
        upstreamMessage: failure.message,
        retryable,
        ...failure.details,
      },
    },
  );
}

/** Looks a provider code up in a kind table (`{ auth: [...], user: [...] }`), else `fallback`. */
export function kindOf(
  table: Partial<Record<FailureKind, readonly string[]>>,
  code: string | undefined,
  fallback: FailureKind,
): FailureKind {
  if (code === undefined) return fallback;
  for (const [kind, codes] of Object.entries(table) as [FailureKind, readonly string[]][])
    if (codes.includes(code)) return kind;
  return fallback;
}

/**
 * A next-page link resolved against the page that carried it; the connection's credentials never go
 * to another origin, so a link elsewhere is refused.
 */
export function nextPageUrl(displayName: string, link: string, current: string): string {
  const next = new URL(link, current);
  if (next.origin !== new URL(current).origin)
    throw new KryonixError(
      'KRX_UPSTREAM_REJECTED',
      `${displayName} sent a next-page link to another origin (${next.origin}); not following it with the connection's credentials`,
    );
  return next.toString();
}

/** Validation failure of a connection that lacks what an action needs. */
export function missingSetting(what: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', what);
}
