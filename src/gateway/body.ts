/** Reading and describing bodies: bounded reads, decoding for callers, truncation for records. */
import type { Readable } from 'node:stream';
import { KryonixError } from '../platform/errors.js';

/** Reads a stream to a Buffer, failing once it passes `maxBytes` (the rest is not read). */
export async function readBounded(
  stream: Readable | AsyncIterable<Buffer>,
  maxBytes: number,
  what: string,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > maxBytes) {
      (stream as Readable).destroy?.();
      throw new KryonixError(
        'KRX_UPSTREAM_UNREACHABLE',
        `${what} is larger than ${maxBytes} bytes; use the streaming proxy for large bodies`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export interface DecodedBody {
  data: unknown;
  /** Set when the body is binary and `data` holds it as base64. */
  encoding?: 'base64';
}

function isTextual(contentType: string): boolean {
  return /^text\/|[/+](json|xml|javascript|x-www-form-urlencoded|yaml|csv)\b/i.test(contentType);
}

/** JSON as parsed JSON, text as a string, anything else as base64. */
export function decodeBody(body: Buffer, contentType: string | undefined): DecodedBody {
  if (body.length === 0) return { data: null };
  const type = contentType ?? '';
  if (/[/+]json\b/i.test(type) || type === '') {
    try {
      return { data: JSON.parse(body.toString('utf8')) };
    } catch {
      if (type) return { data: body.toString('utf8') };
    }
  }
  if (!type || isTextual(type)) return { data: body.toString('utf8') };
  return { data: body.toString('base64'), encoding: 'base64' };
}

/** A body for an execution record: as-is when small, else a truncated preview. */
export function bodyForRecord(data: unknown, maxBytes: number): unknown {
  if (data === undefined || data === null) return null;
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  if (Buffer.byteLength(text) <= maxBytes) return typeof data === 'string' ? { text: data } : data;
  return { truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, maxBytes) };
}

/**
 * Removes every credential value of the connection from text bound for a record, wherever it hides
 * (an upstream that echoes headers, an error message quoting the URL). Short values are skipped:
 * masking "1" everywhere would destroy the record and protect nothing.
 */
export function createScrubber(credentials: Record<string, unknown>): (text: string) => string {
  const secrets = Object.values(credentials)
    .flatMap((value) =>
      typeof value === 'string'
        ? [value]
        : typeof value === 'object' && value
          ? Object.values(value).filter((v) => typeof v === 'string')
          : [],
    )
    .filter((value): value is string => typeof value === 'string' && value.length >= 6)
    .sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  const encoded = secrets.flatMap((secret) => [
    secret,
    encodeURIComponent(secret),
    Buffer.from(secret).toString('base64'),
  ]);
  return (text) => {
    let result = text;
    for (const secret of encoded)
      if (result.includes(secret)) result = result.split(secret).join('[redacted]');
    return result;
  };
}

/** Applies a scrubber to a JSON value by round-tripping it through text. */
export function scrubValue<T>(value: T, scrub: (text: string) => string): T {
  if (value === null || value === undefined) return value;
  return JSON.parse(scrub(JSON.stringify(value))) as T;
}
