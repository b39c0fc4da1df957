/**
 * Salesforce's API request limit as the provider reports it: every answer carries
 * `Sforce-Limit-Info: api-usage=used/max` (a rolling 24-hour count per org). Kept per connection; when
 * the org is out of calls (`used >= max`, or a 403 REQUEST_LIMIT_EXCEEDED) the connection fails fast
 * with KRX_RATE_LIMITED for a while instead of spending more calls being refused. The usage is also
 * exported as the gauges `kryonix_connector_quota_used` / `_limit` (quota `api_requests`).
 */
import type { ProviderQuota } from '../../sdk.js';

export interface ApiUsage {
  used: number;
  max: number;
  /** Unix ms of the answer that reported it. */
  at: number;
}

const usage = new Map<string, ApiUsage>();
const blockedUntil = new Map<string, number>();

/** `api-usage=18/5000` (other limits in the header, e.g. `per-app-api-usage=…`, are ignored). */
export function parseLimitInfo(header: string | undefined): { used: number; max: number } | undefined {
  const match = /(?:^|[,;\s])api-usage=(\d+)\/(\d+)/.exec(header ?? '');
  return match ? { used: Number(match[1]), max: Number(match[2]) } : undefined;
}

export function recordUsage(connectionId: string, header: string | undefined, backoffMs: number): void {
  const parsed = parseLimitInfo(header);
  if (!parsed) return;
  usage.set(connectionId, { ...parsed, at: Date.now() });
  if (parsed.max > 0 && parsed.used >= parsed.max) block(connectionId, backoffMs);
}

export function block(connectionId: string, backoffMs: number): void {
  blockedUntil.set(connectionId, Math.max(blockedUntil.get(connectionId) ?? 0, Date.now() + backoffMs));
}

/** Milliseconds this connection must still wait, 0 when it may call. */
export function waitMs(connectionId: string): number {
  const until = blockedUntil.get(connectionId) ?? 0;
  if (until <= Date.now()) {
    blockedUntil.delete(connectionId);
    return 0;
  }
  return until - Date.now();
}

/** The usage of every connection that has seen the header, for the metrics. */
export function* quotaSamples(): Iterable<ProviderQuota> {
  for (const [connectionId, { used, max }] of usage)
    yield { connectionId, quota: 'api_requests', used, limit: max };
}

export function usageOf(connectionId: string): ApiUsage | undefined {
  return usage.get(connectionId);
}

export function forget(connectionId: string): void {
  usage.delete(connectionId);
  blockedUntil.delete(connectionId);
}
