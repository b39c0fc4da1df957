import { parse, stringify } from 'yaml';
import { KryonixError } from '../../platform/errors.js';
import { isStackOverflow } from '../depth.js';
import type { TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';
import { type ConvertOptions, formatInvalid, type TextCodec } from './codec.js';

/** Aliases expand by reference; a small cap stops "billion laughs" documents built from them. */
const MAX_ALIAS_COUNT = 50;

function decode(text: string, _options: ConvertOptions, limits: TransformLimits): JsonValue {
  try {
    // The core schema (YAML 1.2) yields only JSON types: no timestamps, binaries or custom tags.
    return (parse(text, { maxAliasCount: MAX_ALIAS_COUNT, schema: 'core', uniqueKeys: true }) ??
      null) as JsonValue;
  } catch (error) {
    if (isStackOverflow(error)) {
      throw new KryonixError(
        'KRX_LIMIT_EXCEEDED',
        `The YAML is nested deeper than ${limits.maxDepth} levels`,
      );
    }
    throw formatInvalid('yaml', (error as Error).message, error);
  }
}

function encode(value: JsonValue): string {
  // Without this, repeated objects would be written as anchors and aliases.
  return stringify(value, { aliasDuplicateObjects: false });
}

export const yamlCodec: TextCodec = { decode, encode };
