import { randomUUID } from 'node:crypto';
import type jsonata from 'jsonata';
import { readDate } from './dates.js';

/*
 * Functions added to every expression. JSONata already has $toMillis/$fromMillis (ISO and pictures),
 * $encodeUrlComponent/$decodeUrlComponent (URL encoding) and $now/$millis, so those are not repeated.
 * $base64encode/$base64decode are replaced: the built-ins treat each UTF-16 unit as a Latin-1 byte,
 * which corrupts any text beyond Latin-1 ("日本" does not round-trip). Ours use UTF-8.
 */

export interface ExtraFunction {
  name: string;
  signature: string;
  implementation: Parameters<jsonata.Expression['registerFunction']>[1];
}

type BuiltIn = { implementation: (this: jsonata.Focus, ...args: unknown[]) => unknown };

/** Delegates to a JSONata built-in, which expects the caller's focus as `this`. */
function callBuiltIn(focus: jsonata.Focus, name: string, ...args: unknown[]): unknown {
  return (focus.environment.lookup(name) as BuiltIn).implementation.apply(focus, args);
}

function dateError(value: unknown): Error {
  return new Error(
    `Cannot read ${JSON.stringify(value)} as a date: expected ISO 8601, RFC 2822 or epoch milliseconds (or pass a picture)`,
  );
}

function parseDate(
  this: jsonata.Focus,
  value: string | number | undefined,
  picture?: string,
): string | undefined {
  if (value === undefined) return undefined;
  const millis =
    picture === undefined
      ? readDate(value)
      : (callBuiltIn(this, 'toMillis', String(value), picture) as number | undefined);
  if (millis === undefined) throw dateError(value);
  return new Date(millis).toISOString();
}

function formatDate(
  this: jsonata.Focus,
  value: string | number | undefined,
  picture?: string,
  timezone?: string,
): string | undefined {
  if (value === undefined) return undefined;
  const millis = readDate(value);
  if (millis === undefined) throw dateError(value);
  if (picture === undefined && timezone === undefined) return new Date(millis).toISOString();
  return callBuiltIn(this, 'fromMillis', millis, picture, timezone) as string;
}

const FALSE_WORDS = new Set(['false', '0', 'no', 'off', 'n', '']);

/** Unlike $boolean, reads the words integrations send: "false", "0", "no" and "off" are false. */
function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return !FALSE_WORDS.has(value.trim().toLowerCase());
  return Boolean(value) && !(Array.isArray(value) && value.length === 0);
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`$parseJson: ${(error as Error).message}`);
  }
}

export const EXTRA_FUNCTIONS: readonly ExtraFunction[] = [
  { name: 'uuid', signature: '<:s>', implementation: () => randomUUID() },
  { name: 'parseDate', signature: '<(sn)-s?:s>', implementation: parseDate },
  { name: 'formatDate', signature: '<(sn)-s?s?:s>', implementation: formatDate },
  { name: 'toBoolean', signature: '<x-:b>', implementation: toBoolean },
  { name: 'parseJson', signature: '<s-:x>', implementation: parseJson },
  {
    name: 'base64encode',
    signature: '<s-:s>',
    implementation: (text: string | undefined) =>
      text === undefined ? undefined : Buffer.from(text).toString('base64'),
  },
  {
    name: 'base64decode',
    signature: '<s-:s>',
    implementation: (text: string | undefined) =>
      text === undefined ? undefined : Buffer.from(text, 'base64').toString('utf8'),
  },
];
