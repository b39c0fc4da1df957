/**
 * The seed's `buildUrl`, made safe: the caller names a path under the connection's base URL and
 * can never leave it — no other host (absolute or protocol-relative URLs), no `..` climbing out of
 * the base path (also percent-encoded), no smuggled `?`/`#`; query values are encoded.
 */
import { KryonixError } from '../platform/errors.js';

function invalidEndpoint(detail: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', detail, {
    extensions: { errors: [{ path: '/body/endpoint', message: detail }] },
  });
}

function hasControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

/** Splits a caller path into decoded segments, refusing what could escape the base path. */
function safeSegments(endpoint: string): string[] {
  if (hasControlOrBackslash(endpoint))
    throw invalidEndpoint('endpoint contains control characters or backslashes');
  const segments: string[] = [];
  for (const raw of endpoint.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw invalidEndpoint('endpoint has malformed percent-encoding');
    }
    if (segment === '..' || segment === '.')
      throw invalidEndpoint('endpoint may not contain "." or ".." segments');
    if (segment.includes('/') || segment.includes('\\'))
      throw invalidEndpoint('endpoint segments may not contain encoded slashes');
    segments.push(segment);
  }
  return segments;
}

export interface UrlParts {
  /** Path relative to the base URL, e.g. `/users/42` (a query string here is merged into `query`). */
  endpoint: string;
  query?: Record<string, string | number | boolean | Array<string | number | boolean>> | null;
}

/**
 * The upstream URL for `endpoint` under `baseUrl`, with `query` appended (encoded). The URL is
 * written out as text and parsed once: the base's copy and the pathname/search/hash setters cost
 * about twice as much, on every proxied call.
 */
export function buildUpstreamUrl(baseUrl: URL, parts: UrlParts): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(parts.endpoint) || parts.endpoint.startsWith('//')) {
    throw invalidEndpoint('endpoint must be a path relative to the connection, not a URL');
  }
  const [pathPart, queryPart = ''] = parts.endpoint.split('?', 2);
  if (pathPart.includes('#') || queryPart.includes('#'))
    throw invalidEndpoint('endpoint may not contain a fragment');
  // Everything before the query: scheme, credentials, host and the base path without trailing slashes.
  const { href, search: baseSearch, hash } = baseUrl;
  const base = href.slice(0, href.length - baseSearch.length - hash.length).replace(/\/+$/, '');
  const path = safeSegments(pathPart.replace(/^\/+/, '')).map(encodeURIComponent).join('/');
  let search = baseSearch;
  if (queryPart || parts.query) {
    const params = new URLSearchParams(queryPart);
    for (const [key, value] of Object.entries(parts.query ?? {})) {
      for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
    }
    const merged = params.toString();
    if (merged) search = `?${merged}`;
  }
  return new URL(`${base}${path ? `/${path}` : ''}${search}`);
}
