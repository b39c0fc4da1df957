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

/** The upstream URL for `endpoint` under `baseUrl`, with `query` appended (encoded). */
export function buildUpstreamUrl(baseUrl: URL, parts: UrlParts): URL {
  if (/^[a-z][a-z0-9+.-]*:/i.test(parts.endpoint) || parts.endpoint.startsWith('//')) {
    throw invalidEndpoint('endpoint must be a path relative to the connection, not a URL');
  }
  const [pathPart, queryPart = ''] = parts.endpoint.split('?', 2);
  if (pathPart.includes('#') || queryPart.includes('#'))
    throw invalidEndpoint('endpoint may not contain a fragment');
  const url = new URL(baseUrl.href);
  const basePath = url.pathname.replace(/\/+$/, '');
  const segments = safeSegments(pathPart.replace(/^\/+/, ''));
  const path = segments.map(encodeURIComponent).join('/');
  url.pathname = path ? `${basePath}/${path}` : basePath || '/';
  url.hash = '';
  const params = new URLSearchParams(queryPart);
  for (const [key, value] of Object.entries(parts.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const search = params.toString();
  url.search = search ? `?${search}` : url.search;
  return url;
}
