/**
 * Cache policies as the hot path uses them: a `cache_policies` row compiled once (glob to RegExp,
 * conditions with their defaults) and the choice of the policy that applies to one call.
 */
import { matchesEventPattern } from '../platform/events.js';

export type CacheStrategy = 'time_based' | 'etag' | 'conditional';
export const CACHE_STRATEGIES: readonly CacheStrategy[] = ['time_based', 'etag', 'conditional'];

export interface CacheConditions {
  /** Statuses that may be stored. */
  statusCodes?: number[];
  /** Methods the policy caches (a subset of GET and HEAD). */
  methods?: string[];
  /** Larger bodies are passed through and not stored. */
  maxBodyBytes?: number;
}

/** A cache_policies row, as loaded for the cache (the fields it needs). */
export interface CachePolicyRecord {
  id: string;
  connectionId: string;
  endpointPattern: string | null;
  cacheStrategy: string;
  ttlSeconds: number;
  cacheConditions: CacheConditions | null;
  invalidationEvents: string[] | null;
}

export interface CompiledPolicy {
  id: string;
  connectionId: string;
  endpointPattern: string | null;
  strategy: CacheStrategy;
  ttlSeconds: number;
  statusCodes: ReadonlySet<number>;
  methods: ReadonlySet<string>;
  maxBodyBytes: number;
  invalidationEvents: readonly string[];
  matches(path: string): boolean;
  /** Higher wins when several policies match one path. */
  specificity: number;
}

/** Successes and permanent redirects; 404/410 only when a policy lists them (a cached 404 hides a new resource). */
export const DEFAULT_STATUS_CODES: readonly number[] = [200, 203, 204, 300, 301, 308];
export const DEFAULT_METHODS: readonly string[] = ['GET', 'HEAD'];
export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** The endpoint part of a path, with one leading slash and no query string. */
export function normalizePath(path: string): string {
  const bare = path.split(/[?#]/, 1)[0] ?? '';
  return `/${bare.replace(/^\/+/, '')}`;
}

/** `*` matches any run of characters, slashes included; everything else is literal. */
export function compileGlob(pattern: string): RegExp {
  const source = normalizePath(pattern)
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}

export function compilePolicy(
  record: CachePolicyRecord,
  limits: { defaultTtlSeconds: number; maxBytes: number },
): CompiledPolicy {
  const conditions = record.cacheConditions ?? {};
  const strategy = (CACHE_STRATEGIES as readonly string[]).includes(record.cacheStrategy)
    ? (record.cacheStrategy as CacheStrategy)
    : 'time_based';
  const glob = record.endpointPattern ? compileGlob(record.endpointPattern) : undefined;
  const pattern = record.endpointPattern ?? '';
  const wildcards = pattern.split('*').length - 1;
  return {
    id: record.id,
    connectionId: record.connectionId,
    endpointPattern: record.endpointPattern,
    strategy,
    ttlSeconds: Number.isFinite(record.ttlSeconds) ? record.ttlSeconds : limits.defaultTtlSeconds,
    statusCodes: new Set(conditions.statusCodes ?? DEFAULT_STATUS_CODES),
    methods: new Set((conditions.methods ?? DEFAULT_METHODS).map((m) => m.toUpperCase())),
    maxBodyBytes: Math.min(conditions.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, limits.maxBytes),
    invalidationEvents: record.invalidationEvents ?? [],
    matches: glob ? (path) => glob.test(normalizePath(path)) : () => true,
    // A pattern beats no pattern; fewer wildcards beat more; then the longer literal text.
    specificity: glob ? 1_000_000 - wildcards * 10_000 + (pattern.length - wildcards) : 0,
  };
}

/** The policies of one tenant, indexed by connection, most specific first. */
export class TenantPolicies {
  private readonly byConnection = new Map<string, CompiledPolicy[]>();

  constructor(readonly policies: readonly CompiledPolicy[]) {
    for (const policy of policies) {
      const list = this.byConnection.get(policy.connectionId) ?? [];
      list.push(policy);
      this.byConnection.set(policy.connectionId, list);
    }
    for (const list of this.byConnection.values()) list.sort((a, b) => b.specificity - a.specificity);
  }

  hasConnection(connectionId: string): boolean {
    return this.byConnection.has(connectionId);
  }

  find(connectionId: string, path: string): CompiledPolicy | undefined {
    return this.byConnection.get(connectionId)?.find((policy) => policy.matches(path));
  }

  /**
   * Connections whose entries an event purges: policies listing the event type; when the event
   * names a connection, only that connection's policies react.
   */
  connectionsInvalidatedBy(type: string, connectionId: string | undefined): string[] {
    const hit = new Set<string>();
    for (const policy of this.policies) {
      if (connectionId !== undefined && policy.connectionId !== connectionId) continue;
      if (policy.invalidationEvents.some((pattern) => matchesEventPattern(pattern, type))) {
        hit.add(policy.connectionId);
      }
    }
    return [...hit];
  }
}
