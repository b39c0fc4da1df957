import { KryonixError } from '../platform/errors.js';
import { compileExpression, evaluateCompiled } from './expression.js';
import { underPath } from './issues.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';
import { compileWhere, type WhereCondition } from './where.js';

/** A JSONata expression that must evaluate to true or false, or a declarative `where` condition. */
export type FilterSpec = { expression: string } | { where: WhereCondition };

export type CompiledFilter = (data: unknown) => Promise<boolean>;

/**
 * Compiles a filter. An expression result must be a boolean: truthiness rules differ between JSONata
 * and JavaScript and silently passing `"false"` or an empty result is how filters leak events, so
 * anything else is an error that tells the author to wrap the expression in `$boolean()` or
 * `$exists()`.
 */
export function compileFilter(spec: FilterSpec, limits: TransformLimits = DEFAULT_LIMITS): CompiledFilter {
  if ('where' in spec) {
    let predicate: (data: unknown) => boolean;
    try {
      predicate = compileWhere(spec.where, limits);
    } catch (error) {
      throw underPath(error, '/where');
    }
    return async (data) => predicate(data);
  }
  let expression: ReturnType<typeof compileExpression>;
  try {
    expression = compileExpression(spec.expression, { limits });
  } catch (error) {
    throw underPath(error, '/expression');
  }
  return async (data) => {
    const result = await evaluateCompiled(expression, data);
    if (typeof result === 'boolean') return result;
    throw new KryonixError(
      'KRX_TRANSFORM_FAILED',
      `A filter expression must return true or false, not ${describe(result)}; wrap it in $boolean() or $exists()`,
    );
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (no match)';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** Compile (cached for expressions) and apply a filter once. */
export async function evaluateFilter(
  spec: FilterSpec,
  data: unknown,
  limits: TransformLimits = DEFAULT_LIMITS,
): Promise<boolean> {
  return compileFilter(spec, limits)(data);
}
