/** Header rules of the gateway: what never crosses it, and what records never show. */

/** RFC 9110 §7.6.1 connection-specific headers, plus ones the gateway sets itself. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

/** The caller's own credentials to the platform: never forwarded upstream. */
const PLATFORM_CREDENTIALS = new Set(['authorization', 'x-api-key', 'cookie']);

const ALWAYS_REDACTED = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
]);

export const REDACTED = '[redacted]';

type HeaderInput = Record<string, string | string[] | undefined>;

function flatten(value: string | string[]): string {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Lowercased headers without hop-by-hop ones (and those the `connection` header names).
 * `dropContentLength`: for a body the gateway rewrites; left out here rather than deleted after,
 * as deleting a property turns the object into a slow dictionary for everything that reads it next.
 */
export function forwardableHeaders(
  headers: HeaderInput,
  { dropPlatformCredentials = false, dropContentLength = false } = {},
): Record<string, string> {
  // Plain loops, no intermediate arrays: this runs twice per proxied call.
  const connection = headers.connection;
  const named =
    connection === undefined
      ? undefined
      : new Set(
          String(connection)
            .split(',')
            .map((name) => name.trim().toLowerCase())
            .filter(Boolean),
        );
  const result: Record<string, string> = {};
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    if (dropPlatformCredentials && PLATFORM_CREDENTIALS.has(name)) continue;
    if (dropContentLength && name === 'content-length') continue;
    result[name] = flatten(value);
  }
  return result;
}

/**
 * Headers for a record: credentials (and the names `secretHeaders` lists) masked. Later sources win,
 * as in `{ ...a, ...b }`; a name in `secretHeaders` that no source has is listed, masked, so a record
 * shows what was sent without what it held.
 */
export function redactHeaders(
  sources: Record<string, string> | readonly Record<string, string>[],
  secretHeaders: readonly string[] = [],
): Record<string, string> {
  const secret = secretHeaders.length === 0 ? undefined : new Set(secretHeaders.map(lower));
  const result: Record<string, string> = {};
  const add = (headers: Record<string, string>) => {
    for (const name in headers) {
      const lowered = name.toLowerCase();
      result[name] = ALWAYS_REDACTED.has(lowered) || secret?.has(lowered) ? REDACTED : headers[name];
    }
  };
  if (Array.isArray(sources)) for (const headers of sources) add(headers);
  else add(sources as Record<string, string>);
  for (const name of secretHeaders) result[name] = REDACTED;
  return result;
}

const lower = (name: string) => name.toLowerCase();
