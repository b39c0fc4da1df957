import { KryonixError } from '../../platform/errors.js';
import { assertDepth, isStackOverflow } from '../depth.js';
import { DEFAULT_LIMITS, type TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';
import { type ConvertOptions, type Format, formatInvalid, type TextCodec, type TextFormat } from './codec.js';
import { resolveFormat } from './content-type.js';
import { csvCodec } from './csv.js';
import { formCodec } from './form.js';
import { xmlCodec } from './xml.js';
import { yamlCodec } from './yaml.js';

const CODECS: Record<TextFormat, TextCodec> = {
  xml: xmlCodec,
  csv: csvCodec,
  yaml: yamlCodec,
  form: formCodec,
};

export interface ConvertRequest {
  /** A format name or a content type. */
  from: Format | string;
  to: Format | string;
  options?: ConvertOptions;
}

/**
 * Converts between formats through JSON. The `json` side is a JSON value, not text: converting to
 * `json` returns the value, and from `json` accepts a value or JSON text. Every other side is text.
 * Texts over `maxInputBytes` and values nested beyond `maxDepth` are refused before any parser runs.
 */
export function convertFormat(
  input: unknown,
  request: ConvertRequest,
  limits: TransformLimits = DEFAULT_LIMITS,
): JsonValue | string {
  const from = resolveFormat(request.from);
  const to = resolveFormat(request.to);
  const options = request.options ?? {};
  const value =
    from === 'json' && typeof input !== 'string'
      ? (input as JsonValue)
      : decode(from, input, options, limits);
  assertDepth(value, limits.maxDepth);
  if (to === 'json') return value;
  const text = encode(to, value, options, limits);
  assertSize(text, to, limits, 'output');
  return text;
}

function decode(from: Format, input: unknown, options: ConvertOptions, limits: TransformLimits): JsonValue {
  if (typeof input !== 'string')
    throw formatInvalid(from, `expected text to read, got ${input === null ? 'null' : typeof input}`);
  assertSize(input, from, limits, 'input');
  try {
    return from === 'json' ? (JSON.parse(input) as JsonValue) : CODECS[from].decode(input, options, limits);
  } catch (error) {
    if (error instanceof KryonixError) throw error;
    if (isStackOverflow(error)) throw tooDeep(limits);
    throw formatInvalid(from, (error as Error).message, error);
  }
}

function encode(to: TextFormat, value: JsonValue, options: ConvertOptions, limits: TransformLimits): string {
  try {
    return CODECS[to].encode(value, options, limits);
  } catch (error) {
    if (error instanceof KryonixError) throw error;
    if (isStackOverflow(error)) throw tooDeep(limits);
    throw formatInvalid(to, (error as Error).message, error);
  }
}

function tooDeep(limits: TransformLimits): KryonixError {
  return new KryonixError('KRX_LIMIT_EXCEEDED', `The data is nested deeper than ${limits.maxDepth} levels`);
}

function assertSize(text: string, format: Format, limits: TransformLimits, side: 'input' | 'output'): void {
  // Cheap first test: UTF-8 needs at least one byte per UTF-16 unit and at most three.
  if (text.length * 3 <= limits.maxInputBytes) return;
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxInputBytes) {
    throw new KryonixError(
      'KRX_PAYLOAD_TOO_LARGE',
      `The ${format.toUpperCase()} ${side} is ${bytes} bytes; the limit is ${limits.maxInputBytes}`,
      { extensions: { limit: limits.maxInputBytes } },
    );
  }
}
