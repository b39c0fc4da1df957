import { LRUCache } from 'lru-cache';
import { type CompiledExpression, compileExpression, evaluateCompiled } from './expression.js';
import { type FieldMapping, fieldsToExpression } from './field-mapping.js';
import { underPath } from './issues.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';
import type { JsonValue } from './types.js';

/** A JSONata expression, or declarative fields compiled to one. */
export type Mapping = { expression: string } | { fields: FieldMapping[] };

/**
 * Field lists already turned into expression text, by their JSON: callers such as the gateway hand
 * the same stored list over on every request, and building the text costs more than evaluating it.
 */
const fieldTexts = new LRUCache<string, string>({ max: 2_000 });
/** The same list object again (a stored mapping held in memory): not even its JSON to build. */
const fieldTextsByList = new WeakMap<FieldMapping[], string>();

function fieldsText(fields: FieldMapping[]): string {
  let text = fieldTextsByList.get(fields);
  if (text !== undefined) return text;
  const key = JSON.stringify(fields);
  text = fieldTexts.get(key);
  if (text === undefined) {
    text = fieldsToExpression(fields);
    fieldTexts.set(key, text);
  }
  fieldTextsByList.set(fields, text);
  return text;
}

/** Compiles (cached) either form; rejections point at `/expression` or `/fields/<i>/...`. */
export function compileMapping(
  mapping: Mapping,
  limits: TransformLimits = DEFAULT_LIMITS,
): CompiledExpression {
  const [path, text] =
    'fields' in mapping
      ? ['/fields', () => fieldsText(mapping.fields)]
      : ['/expression', () => mapping.expression];
  try {
    return compileExpression(text(), { limits });
  } catch (error) {
    throw underPath(error, path);
  }
}

/** Maps `data`; an expression that matches nothing yields null, since JSON has no "nothing". */
export async function evaluateMapping(
  mapping: Mapping,
  data: unknown,
  limits: TransformLimits = DEFAULT_LIMITS,
): Promise<JsonValue> {
  return ((await evaluateCompiled(compileMapping(mapping, limits), data)) ?? null) as JsonValue;
}
