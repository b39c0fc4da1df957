/**
 * Rate-limit rules: what a `rate_limits` row means, compiled once per tenant load so that matching a
 * request is a few comparisons. Scopes are data (one small matcher per scope), not branches.
 *
 * A rule's counter is identified by the rule and a *partition*: `''` when the rule counts all the
 * traffic it matches together, or the API key / connection id when it counts each separately.
 */
import type { rateLimits } from '../platform/db/schema.js';

export const RULE_SCOPES = ['global', 'tenant', 'api_key', 'connection', 'endpoint'] as const;
export type RuleScope = (typeof RULE_SCOPES)[number];

/** `requests_per_*` fix the window; `requests` takes it from window_seconds. */
export const LIMIT_TYPES = {
  requests_per_second: 1,
  requests_per_minute: 60,
  requests_per_hour: 3600,
  requests_per_day: 86_400,
  requests: null,
} as const satisfies Record<string, number | null>;
export type LimitType = keyof typeof LIMIT_TYPES;

/** 31 days: long enough for a monthly-ish quota, short enough for one counter key. */
export const MAX_WINDOW_SECONDS = 2_678_400;

export interface RateLimitSubject {
  tenantId: string;
  /** The API key id, or another stable principal id (e.g. `jwt:<sub>`); null skips per-key limits. */
  apiKeyId: string | null;
  connectionId: string | null;
  /** Upstream path (query string ignored), for endpoint-scoped rules. */
  endpoint: string | null;
}

export interface CompiledRule {
  /** The rate_limits row id, or `default` for the platform default limit. */
  readonly id: string;
  readonly scope: RuleScope | 'default';
  /** When set, the rule only applies to calls through this connection. */
  readonly connectionId: string | null;
  readonly resourceId: string | null;
  readonly limit: number;
  readonly windowMs: number;
  readonly pattern: RegExp | null;
}

type RuleRow = Pick<
  typeof rateLimits.$inferSelect,
  'id' | 'connectionId' | 'resourceType' | 'resourceId' | 'limitType' | 'limitValue' | 'windowSeconds'
>;

/** The partition a rule counts this subject in, or undefined when the rule does not apply. */
type Matcher = (rule: CompiledRule, subject: RateLimitSubject) => string | undefined;

const MATCHERS: Record<RuleScope | 'default', Matcher> = {
  // `global` cannot mean "every tenant": rules belong to a tenant (row-level security), and one tenant
  // must not throttle another. It counts the tenant's whole traffic, like `tenant`; the platform-wide
  // default is RATE_LIMIT_MAX_REQUESTS.
  global: () => '',
  tenant: () => '',
  api_key: (rule, { apiKeyId }) => {
    if (apiKeyId === null) return undefined;
    if (rule.resourceId === null) return apiKeyId;
    return rule.resourceId === apiKeyId ? '' : undefined;
  },
  connection: (rule, { connectionId }) => {
    if (connectionId === null) return undefined;
    return rule.connectionId === null ? connectionId : '';
  },
  // An endpoint belongs to an upstream: without a fixed connection, each connection is counted apart.
  endpoint: (rule, { connectionId, endpoint }) => {
    if (endpoint === null || rule.pattern === null || !rule.pattern.test(pathOf(endpoint))) return undefined;
    return rule.connectionId === null ? (connectionId ?? '') : '';
  },
  default: (_rule, { apiKeyId }) => apiKeyId ?? undefined,
};

export function partitionFor(rule: CompiledRule, subject: RateLimitSubject): string | undefined {
  if (rule.connectionId !== null && subject.connectionId !== rule.connectionId) return undefined;
  return MATCHERS[rule.scope](rule, subject);
}

/** `rule.resourceId` of an endpoint rule: `*` matches any run of characters, `/` included. */
export function compileEndpointPattern(glob: string): RegExp {
  const normalized = normalizeEndpointPattern(glob);
  const body = normalized
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`);
}

export function normalizeEndpointPattern(glob: string): string {
  const trimmed = glob.trim();
  return trimmed.startsWith('/') || trimmed.startsWith('*') ? trimmed : `/${trimmed}`;
}

function pathOf(endpoint: string): string {
  const query = endpoint.search(/[?#]/);
  const path = query === -1 ? endpoint : endpoint.slice(0, query);
  return path.startsWith('/') ? path : `/${path}`;
}

export function windowSecondsOf(limitType: string, windowSeconds: number): number {
  const fixed = LIMIT_TYPES[limitType as LimitType];
  return typeof fixed === 'number' ? fixed : windowSeconds;
}

export function isRuleScope(value: string): value is RuleScope {
  return (RULE_SCOPES as readonly string[]).includes(value);
}

/** A row as the limiter uses it; undefined for a row it cannot apply (unknown scope, no window). */
export function compileRule(row: RuleRow): CompiledRule | undefined {
  if (!isRuleScope(row.resourceType)) return undefined;
  const windowSeconds = windowSecondsOf(row.limitType, row.windowSeconds);
  if (!(windowSeconds >= 1) || !(row.limitValue >= 0)) return undefined;
  if (row.resourceType === 'endpoint' && !row.resourceId) return undefined;
  // A connection rule may name its connection in either column (the seed had both).
  const connectionId =
    row.connectionId ?? (row.resourceType === 'connection' ? (row.resourceId ?? null) : null);
  return {
    id: row.id,
    scope: row.resourceType,
    connectionId,
    resourceId: row.resourceId ?? null,
    limit: row.limitValue,
    windowMs: windowSeconds * 1000,
    pattern: row.resourceType === 'endpoint' ? compileEndpointPattern(row.resourceId!) : null,
  };
}

/** The platform default, RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS per API key; 0 disables it. */
export function defaultRule(rateLimit: { windowMs: number; maxRequests: number }): CompiledRule | undefined {
  if (rateLimit.maxRequests <= 0) return undefined;
  return {
    id: 'default',
    scope: 'default',
    connectionId: null,
    resourceId: null,
    limit: rateLimit.maxRequests,
    windowMs: rateLimit.windowMs,
    pattern: null,
  };
}
