/** Helpers of the runner for actions that take or answer raw bytes as streams. */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { JsonSchema } from './sdk.js';

/** A pass-through of `source` that counts the bytes going through it. */
export function counted(source: Readable): { stream: Transform; bytes: () => number } {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // Errors reach `stream` (pipeline destroys it); a destroyed `stream` destroys `source` too.
  pipeline(source, stream).catch(() => {});
  return { stream, bytes: () => bytes };
}

/**
 * An action's input given as a query string (when the body carries raw bytes): values of properties
 * the schema types as boolean, integer or number are read as such; anything else stays text and the
 * schema check judges it.
 */
export function inputFromQuery(schema: JsonSchema, query: Record<string, unknown>): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, { type?: unknown }>;
  const input: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    const type = properties[name]?.type;
    if (typeof value !== 'string') input[name] = value;
    else if (type === 'boolean' && (value === 'true' || value === 'false')) input[name] = value === 'true';
    else if (
      (type === 'integer' || type === 'number') &&
      value.trim() !== '' &&
      Number.isFinite(Number(value))
    )
      input[name] = Number(value);
    else input[name] = value;
  }
  return input;
}
