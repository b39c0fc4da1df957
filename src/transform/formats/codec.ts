import { KryonixError } from '../../platform/errors.js';
import type { TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';

export const FORMATS = ['json', 'xml', 'csv', 'yaml', 'form'] as const;
export type Format = (typeof FORMATS)[number];
export type TextFormat = Exclude<Format, 'json'>;

/** Options of a conversion; each applies only to the formats named in its comment. */
export interface ConvertOptions {
  /** csv: field separator, default ",". */
  delimiter?: string;
  /** csv: quote character, default '"'. */
  quote?: string;
  /** csv: first row names the columns (rows are objects), default true; false → rows are arrays. */
  header?: boolean;
  /** xml: element wrapping a value that is not a single-key object, default "root". */
  rootName?: string;
  /** xml: element repeated for the items of a top-level array, default "item". */
  itemName?: string;
  /** xml: prefix marking attributes in JSON, default "@_". */
  attributePrefix?: string;
  /** xml, csv: read numbers and booleans from text instead of keeping every value a string, default false. */
  parseValues?: boolean;
  /** form: read and write bracketed keys (`a[b]=c`, `a[]=1`) as nested values, default false. */
  nested?: boolean;
}

/** A text format read into JSON and written back from it. */
export interface TextCodec {
  decode(text: string, options: ConvertOptions, limits: TransformLimits): JsonValue;
  encode(value: JsonValue, options: ConvertOptions, limits: TransformLimits): string;
}

export function formatInvalid(format: Format, detail: string, cause?: unknown): KryonixError {
  return new KryonixError('KRX_FORMAT_INVALID', `Invalid ${format.toUpperCase()}: ${detail}`, {
    cause,
    extensions: { format },
  });
}

/** Sets a member as an own data property, so a key named `__proto__` cannot reach a prototype. */
export function setMember(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
