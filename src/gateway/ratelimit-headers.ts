/**
 * The IETF RateLimit header fields, as of draft-ietf-httpapi-ratelimit-headers-11 (23 May 2026), plus
 * Retry-After for rejections. Both fields are Structured Field Lists (RFC 9651) whose items are Strings
 * naming a policy:
 *
 *   RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400
 *   RateLimit: "burst";r=0;t=30
 *
 * RateLimit-Policy: q = quota (required), qu = quota unit (default "requests"), w = window in seconds,
 * pk = partition key (Byte Sequence). RateLimit: r = available quota (required), t = seconds within which
 * at most r may be used, pk. Seconds are rounded up, so a client that waits t (or Retry-After) seconds never
 * comes back early; with the same source value, Retry-After equals t, which the draft asks for (Retry-After
 * no earlier than the end of the effective window).
 */

export type QuotaUnit = 'requests' | 'content-bytes' | 'concurrent-requests';

export interface QuotaPolicy {
  /** The policy's name, shared with RateLimit items: printable ASCII. */
  readonly name: string;
  readonly quota: number;
  readonly windowSeconds?: number;
  /** Omitted from the field when it is the default, 'requests'. */
  readonly quotaUnit?: QuotaUnit;
  /** Must not carry anything sensitive: clients see it (draft section 6.1). */
  readonly partitionKey?: Uint8Array;
}

export interface ServiceLimit {
  /** Name of the QuotaPolicy this reports on. */
  readonly policy: string;
  /** Quota left; a limiter's negative or fractional count is reported as whole units, never below 0. */
  readonly remaining: number;
  /** Time until the quota is restored, e.g. rate-limiter-flexible's msBeforeNext. */
  readonly resetMs?: number;
  readonly partitionKey?: Uint8Array;
}

export interface RateLimitHeaderInput {
  readonly policies?: readonly QuotaPolicy[];
  readonly limits: readonly ServiceLimit[];
  /** Set on rejections: how long the client must wait. */
  readonly retryAfterMs?: number;
}

/** RFC 9651 bounds an Integer to 15 digits. */
const MAX_SF_INTEGER = 999_999_999_999_999;

/** `RateLimit-Policy` field value. */
export function formatRateLimitPolicy(policies: readonly QuotaPolicy[]): string {
  return policies
    .map((policy) => {
      let item = `${sfString(policy.name)};q=${sfInteger(policy.quota, 'quota')}`;
      if (policy.quotaUnit !== undefined && policy.quotaUnit !== 'requests')
        item += `;qu=${sfString(policy.quotaUnit)}`;
      if (policy.windowSeconds !== undefined) {
        if (policy.windowSeconds < 1) throw new RangeError('windowSeconds must be at least 1');
        item += `;w=${sfInteger(policy.windowSeconds, 'windowSeconds')}`;
      }
      return item + partitionKeyParameter(policy.partitionKey);
    })
    .join(', ');
}

/** `RateLimit` field value. */
export function formatRateLimit(limits: readonly ServiceLimit[]): string {
  return limits
    .map((limit) => {
      let item = `${sfString(limit.policy)};r=${sfInteger(Math.max(0, Math.floor(limit.remaining)), 'remaining')}`;
      if (limit.resetMs !== undefined) item += `;t=${sfInteger(wholeSecondsUp(limit.resetMs), 'resetMs')}`;
      return item + partitionKeyParameter(limit.partitionKey);
    })
    .join(', ');
}

/** `Retry-After` as delay-seconds, rounded up (RFC 9110 section 10.2.3). */
export function formatRetryAfter(delayMs: number): string {
  return String(wholeSecondsUp(delayMs));
}

/** The header fields for a response subject to rate limits; empty lists give no field. */
export function rateLimitHeaders(input: RateLimitHeaderInput): Record<string, string> {
  const headers: Record<string, string> = {};
  if (input.policies !== undefined && input.policies.length > 0) {
    headers['RateLimit-Policy'] = formatRateLimitPolicy(input.policies);
  }
  if (input.limits.length > 0) headers.RateLimit = formatRateLimit(input.limits);
  if (input.retryAfterMs !== undefined) headers['Retry-After'] = formatRetryAfter(input.retryAfterMs);
  return headers;
}

function wholeSecondsUp(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}

function sfString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new RangeError(`A RateLimit policy name or unit must be printable ASCII: ${JSON.stringify(value)}`);
  }
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

function sfInteger(value: number, what: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_SF_INTEGER) {
    throw new RangeError(`${what} must be a whole number from 0 to ${MAX_SF_INTEGER}, not ${value}`);
  }
  return String(value);
}

function partitionKeyParameter(key: Uint8Array | undefined): string {
  return key === undefined ? '' : `;pk=:${Buffer.from(key).toString('base64')}:`;
}
