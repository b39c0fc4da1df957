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

export interface Scrubber {
  (text: string): string;
  /** Length of the longest form a secret can take in text; 0 when there is nothing to scrub. */
  readonly longest: number;
}

/**
 * Removes every credential value of the connection from text (raw, URL-encoded and base64 forms):
 * from records, and from what the caller receives, so an upstream that reflects its request (an echo
 * endpoint) cannot be used to read the stored credentials back. Short values are skipped: masking
 * "1" everywhere would destroy the text and protect nothing.
 */
export function createScrubber(credentials: Record<string, unknown>): Scrubber {
  const values = Object.values(credentials).flatMap((value) =>
    typeof value === 'object' && value !== null ? Object.values(value) : [value],
  );
  const forms = values
    .filter((value): value is string => typeof value === 'string' && value.length >= 6)
    .flatMap((secret) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')])
    .sort((a, b) => b.length - a.length);
  const scrub = (text: string) => {
    let result = text;
    for (const form of forms) if (result.includes(form)) result = result.split(form).join('[redacted]');
    return result;
  };
  return Object.assign(scrub, { longest: forms[0]?.length ?? 0 });
}

/** Applies a scrubber to a JSON value by round-tripping it through text. */
export function scrubValue<T>(value: T, scrub: Scrubber): T {
  if (value === null || value === undefined || scrub.longest === 0) return value;
  return JSON.parse(scrub(JSON.stringify(value))) as T;
}

/**
 * The scrubber over a sequence of chunks: holds back the last `longest - 1` characters of each chunk,
 * so a secret split across chunks is still caught. `end()` releases what was held back.
 */
export function chunkScrubber(scrub: Scrubber): { push(chunk: Buffer): Buffer; end(): Buffer } {
  let tail = '';
  return {
    push(chunk) {
      const text = scrub(tail + chunk.toString('latin1'));
      const keep = Math.min(scrub.longest - 1, text.length);
      tail = text.slice(text.length - keep);
      return Buffer.from(text.slice(0, text.length - keep), 'latin1');
    },
    end() {
      const rest = Buffer.from(scrub(tail), 'latin1');
      tail = '';
      return rest;
    },
  };
}

/** A whole body with the connection's secrets masked; the same Buffer when none occurs in it. */
export function scrubBuffer(body: Buffer, scrub: Scrubber): Buffer {
  if (scrub.longest === 0 || body.length === 0) return body;
  const text = body.toString('latin1');
  const scrubbed = scrub(text);
  return scrubbed === text ? body : Buffer.from(scrubbed, 'latin1');
}
