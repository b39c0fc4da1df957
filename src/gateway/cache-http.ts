/**
 * The HTTP caching rules (RFC 9111) applied to one stored response, on top of `http-cache-semantics`
 * as a shared cache. What the library is given is narrowed on purpose:
 * - request headers: only `cache-control` (without `max-stale`: we never serve stale) and `pragma`,
 *   so no credential or caller header is ever serialised into the store;
 * - response headers: without `vary` (variants are keyed here, by a hash of the named request
 *   headers, so a secret header named by Vary is never stored in clear), without
 *   `must-revalidate` / `proxy-revalidate` (they only restrict serving stale, which we never do, and
 *   the library would otherwise refuse even fresh hits), and with `max-age=<policy TTL>` added when
 *   the response states no freshness of its own (time_based and conditional strategies).
 * The headers served on a hit are the upstream's own (minus hop-by-hop and Set-Cookie) plus `Age`.
 */
import { createHash } from 'node:crypto';
import CachePolicy from 'http-cache-semantics';
import type { CompiledPolicy } from './cache-rules.js';
import { HOP_BY_HOP } from './headers.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface CacheRequest {
  tenantId: string;
  connectionId: string;
  method: string;
  /** Full upstream URL, without credential query parameters. */
  url: string;
  /** Relative endpoint, matched against endpointPattern. */
  path: string;
  /** Request headers (lowercase), for Vary and request Cache-Control. */
  headers: Record<string, string>;
}

export interface StoredVariant {
  /** Request header names the response varies on (lowercase). */
  varyNames: string[];
  /** Hash of those headers' values in the request that produced the response. */
  varyHash: string;
  status: number;
  /** Headers served on a hit: the upstream's, minus hop-by-hop and Set-Cookie. */
  headers: Record<string, string>;
  body: Buffer;
  policy: CachePolicy.CachePolicyObject;
  /** Epoch ms after which the variant can neither be served nor revalidated. */
  expiresAt: number;
}

export interface StoredRecord {
  /** The endpoint path, for purges by pattern. */
  path: string;
  variants: StoredVariant[];
}

export type Decision = 'fresh' | 'revalidate' | 'refetch';

/** A variant that may still be revalidated is kept this long at most. */
const MAX_KEEP_MS = 30 * 24 * 3600 * 1000;
export const MAX_VARIANTS = 8;

/** Request headers that make the caller's own request conditional or partial: such calls bypass the cache. */
const CALLER_CONDITIONALS = [
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'if-range',
  'range',
];

export function lowercaseHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && value !== null) out[name.toLowerCase()] = String(value);
  }
  return out;
}

export function isCallerConditional(headers: Record<string, string>): boolean {
  return CALLER_CONDITIONALS.some((name) => headers[name] !== undefined);
}

function parseDirectives(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function directiveName(directive: string): string {
  return directive.split('=', 1)[0]!.trim().toLowerCase();
}

/** Lowercase Vary names; null for `Vary: *` (matches no later request, so never stored). */
export function varyNamesOf(headers: Record<string, string>): string[] | null {
  const names = parseDirectives(headers.vary).map((name) => name.toLowerCase());
  if (names.includes('*')) return null;
  return [...new Set(names)].sort();
}

export function varyHashOf(names: readonly string[], requestHeaders: Record<string, string>): string {
  if (names.length === 0) return '';
  const values = names.map((name) => [name, requestHeaders[name] ?? null]);
  return createHash('sha256').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
}

export function findVariant(
  record: StoredRecord | undefined,
  requestHeaders: Record<string, string>,
  now: number,
): StoredVariant | undefined {
  return record?.variants.find(
    (variant) =>
      variant.expiresAt > now && variant.varyHash === varyHashOf(variant.varyNames, requestHeaders),
  );
}

function policyRequest(request: CacheRequest, headers: Record<string, string>): CachePolicy.HttpRequest {
  const narrowed: Record<string, string> = {};
  const cacheControl = parseDirectives(headers['cache-control'])
    .filter((directive) => directiveName(directive) !== 'max-stale')
    .join(', ');
  if (cacheControl) narrowed['cache-control'] = cacheControl;
  if (headers.pragma) narrowed.pragma = headers.pragma;
  return { url: request.url, method: request.method, headers: narrowed };
}

export function hasExplicitFreshness(headers: Record<string, string>): boolean {
  if (headers.expires !== undefined) return true;
  return parseDirectives(headers['cache-control']).some((directive) =>
    ['max-age', 's-maxage'].includes(directiveName(directive)),
  );
}

function policyResponseHeaders(
  headers: Record<string, string>,
  policy: CompiledPolicy,
): Record<string, string> {
  const { vary: _vary, ...rest } = headers;
  const directives = parseDirectives(headers['cache-control']).filter(
    (directive) => !['must-revalidate', 'proxy-revalidate'].includes(directiveName(directive)),
  );
  if (policy.strategy !== 'etag' && policy.ttlSeconds > 0 && !hasExplicitFreshness(headers)) {
    directives.push(`max-age=${policy.ttlSeconds}`);
  }
  if (directives.length > 0) rest['cache-control'] = directives.join(', ');
  else delete rest['cache-control'];
  // Its presence matters to the rules (not fresh unless public); its value is never stored.
  if (rest['set-cookie'] !== undefined) rest['set-cookie'] = 'omitted';
  return rest;
}

function servedHeaders(headers: Record<string, string>): Record<string, string> {
  const listed = new Set(parseDirectives(headers.connection).map((name) => name.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || name === 'set-cookie' || name === 'age') continue;
    out[name] = value;
  }
  return out;
}

function hasValidator(headers: Record<string, string>): boolean {
  return headers.etag !== undefined || headers['last-modified'] !== undefined;
}

/** How long a variant stays useful: its freshness, plus a window to revalidate it when it has validators. */
function keepMs(policy: CachePolicy, rule: CompiledPolicy, headers: Record<string, string>): number {
  const fresh = policy.timeToLive();
  if (rule.strategy === 'time_based' || !hasValidator(headers)) return Math.min(fresh, MAX_KEEP_MS);
  return Math.min(fresh + Math.max(fresh, rule.ttlSeconds * 1000), MAX_KEEP_MS);
}

export type NotStoredReason =
  | 'status'
  | 'too-large'
  | 'vary-star'
  | 'not-storable'
  | 'no-validator'
  | 'no-freshness';

/** The variant to store for this response, or why it is not stored. */
export function buildVariant(
  request: CacheRequest,
  requestHeaders: Record<string, string>,
  response: UpstreamResponse,
  rule: CompiledPolicy,
  now: number,
): StoredVariant | NotStoredReason {
  if (!rule.statusCodes.has(response.status)) return 'status';
  if (response.body.length > rule.maxBodyBytes) return 'too-large';
  const headers = lowercaseHeaders(response.headers);
  const varyNames = varyNamesOf(headers);
  if (!varyNames) return 'vary-star';
  if (rule.strategy === 'etag' && !hasValidator(headers)) return 'no-validator';
  const policy = new CachePolicy(
    policyRequest(request, requestHeaders),
    { status: response.status, headers: policyResponseHeaders(headers, rule) },
    { shared: true },
  );
  if (!policy.storable()) return 'not-storable';
  const keep = keepMs(policy, rule, headers);
  if (keep <= 0) return 'no-freshness';
  return {
    varyNames,
    varyHash: varyHashOf(varyNames, requestHeaders),
    status: response.status,
    headers: servedHeaders(headers),
    body: response.body,
    policy: policy.toObject(),
    expiresAt: now + keep,
  };
}

/** Serve it, revalidate it with its validators, or fetch anew. */
export function decide(
  variant: StoredVariant,
  rule: CompiledPolicy,
  request: CacheRequest,
  requestHeaders: Record<string, string>,
): Decision {
  const validators = hasValidator(variant.headers);
  if (rule.strategy === 'etag') return validators ? 'revalidate' : 'refetch';
  const policy = CachePolicy.fromObject(variant.policy);
  if (policy.satisfiesWithoutRevalidation(policyRequest(request, requestHeaders))) return 'fresh';
  return rule.strategy === 'conditional' && validators ? 'revalidate' : 'refetch';
}

/** `If-None-Match` / `If-Modified-Since` for revalidating the variant. */
export function conditionalHeaders(variant: StoredVariant, request: CacheRequest): Record<string, string> {
  const all = CachePolicy.fromObject(variant.policy).revalidationHeaders({
    url: request.url,
    method: request.method,
    headers: {},
  });
  const out: Record<string, string> = {};
  for (const name of ['if-none-match', 'if-modified-since']) {
    const value = all[name];
    if (typeof value === 'string') out[name] = value;
  }
  return out;
}

/**
 * The variant refreshed by a 304 (its headers updated by the 304's, freshness restarted), or null
 * when the 304 names other validators than the stored ones and the stored body cannot be used.
 * A 304 without validators answers the ones we sent, so it matches.
 */
export function refreshVariant(
  variant: StoredVariant,
  request: CacheRequest,
  requestHeaders: Record<string, string>,
  notModified: UpstreamResponse,
  rule: CompiledPolicy,
  now: number,
): StoredVariant | null {
  const fresh = lowercaseHeaders(notModified.headers);
  if (!validatorsMatch(variant.headers, fresh)) return null;
  const update = servedHeaders(fresh);
  for (const name of ['content-length', 'content-encoding', 'content-range', 'content-type'])
    delete update[name];
  const merged = { ...variant.headers, ...update };
  // Rebuilt from the merged headers (RFC 9111 4.3.4): the response time is now, and the policy TTL
  // applies again when the 304 states no freshness.
  const policy = new CachePolicy(
    policyRequest(request, requestHeaders),
    { status: variant.status, headers: policyResponseHeaders(merged, rule) },
    { shared: true },
  );
  const keep = keepMs(policy, rule, merged);
  return { ...variant, headers: merged, policy: policy.toObject(), expiresAt: now + Math.max(keep, 0) };
}

function weak(etag: string): string {
  return etag.trim().replace(/^W\//, '');
}

function validatorsMatch(stored: Record<string, string>, notModified: Record<string, string>): boolean {
  if (notModified.etag !== undefined)
    return stored.etag !== undefined && weak(stored.etag) === weak(notModified.etag);
  if (notModified['last-modified'] !== undefined && stored['last-modified'] !== undefined) {
    return stored['last-modified'] === notModified['last-modified'];
  }
  return true;
}

/** The stored response as served: its headers with the current `Age`. */
export function servedResponse(variant: StoredVariant): UpstreamResponse {
  const age = Math.max(0, Math.floor(CachePolicy.fromObject(variant.policy).age()));
  return { status: variant.status, headers: { ...variant.headers, age: String(age) }, body: variant.body };
}

/** The record with `variant` added or replacing its namesake, expired ones dropped, at most MAX_VARIANTS. */
export function withVariant(
  record: StoredRecord | undefined,
  path: string,
  variant: StoredVariant,
  now: number,
): StoredRecord {
  const others = (record?.variants ?? []).filter(
    (v) =>
      v.expiresAt > now && !(v.varyHash === variant.varyHash && sameNames(v.varyNames, variant.varyNames)),
  );
  return { path, variants: [variant, ...others].slice(0, MAX_VARIANTS) };
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

export function recordExpiresAt(record: StoredRecord): number {
  return Math.max(0, ...record.variants.map((v) => v.expiresAt));
}
