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

/** Lowercased headers without hop-by-hop ones (and those the `connection` header names). */
export function forwardableHeaders(
  headers: HeaderInput,
  { dropPlatformCredentials = false } = {},
): Record<string, string> {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const result: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    if (dropPlatformCredentials && PLATFORM_CREDENTIALS.has(name)) continue;
    result[name] = flatten(value);
  }
  return result;
}

/** Headers for a record: credentials (and the names `secretHeaders` lists) masked. */
export function redactHeaders(
  headers: Record<string, string>,
  secretHeaders: Iterable<string> = [],
): Record<string, string> {
  const secret = new Set([...ALWAYS_REDACTED, ...[...secretHeaders].map((name) => name.toLowerCase())]);
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, secret.has(name.toLowerCase()) ? REDACTED : value]),
  );
}
