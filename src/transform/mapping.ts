import { type CompiledExpression, compileExpression, evaluateCompiled } from './expression.js';
import { type FieldMapping, fieldsToExpression } from './field-mapping.js';
import { underPath } from './issues.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';
import type { JsonValue } from './types.js';

/** A JSONata expression, or declarative fields compiled to one. */
export type Mapping = { expression: string } | { fields: FieldMapping[] };

/** Compiles (cached) either form; rejections point at `/expression` or `/fields/<i>/...`. */
export function compileMapping(
  mapping: Mapping,
  limits: TransformLimits = DEFAULT_LIMITS,
): CompiledExpression {
  const [path, text] =
    'fields' in mapping
      ? ['/fields', () => fieldsToExpression(mapping.fields)]
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
