import jsonata from 'jsonata';
import { LRUCache } from 'lru-cache';
import { KryonixError } from '../platform/errors.js';
import { planFastPath } from './fast-path.js';
import { FastTimeout } from './fast-runtime.js';
import { EXTRA_FUNCTIONS } from './functions.js';
import { invalid } from './issues.js';
import { lengthCheckOnExit, lengthGuardedBuiltIns } from './length-guard.js';
import { DEFAULT_LIMITS, limitsKey, type TransformLimits } from './limits.js';
import { findRegexHazard, guardedRegExpClass } from './regex-guard.js';
import { stripSequenceMarkers } from './sequence-markers.js';

/**
 * A compiled expression: JSONata's own (the reference, and the fallback) and, when the expression is
 * inside the fast path's subset (fast-path.ts), a synchronous closure that answers the same.
 */
export interface CompiledExpression {
  readonly text: string;
  readonly jsonata: jsonata.Expression;
  /** The fast path; undefined when the expression is outside its subset (see `fallbackReason`). */
  readonly fast?: (data: unknown) => unknown;
  readonly fallbackReason?: string;
}

/** Longest expression text accepted; the JSONata parser is recursive, so this also bounds its stack. */
const MAX_EXPRESSION_LENGTH = 64 * 1024;

const compiled = new LRUCache<string, CompiledExpression>({ max: 2_000 });
/** The common case (default limits, fast path on) keyed by the text itself: no key to build per call. */
const compiledByText = new LRUCache<string, CompiledExpression>({ max: 2_000 });

/** JSONata error codes that mean "a bound was hit", not "the expression is wrong". */
const LIMIT_CODES = new Set(['D1011', 'D1012', 'D2014', 'D2015']);

interface JsonataFailure {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

export interface CompileOptions {
  limits?: TransformLimits;
  /** Off only to measure what the cache saves (bench); compiling costs far more than evaluating. */
  cache?: boolean;
  /** Off only to compare against JSONata's evaluator (bench, tests). */
  fastPath?: boolean;
}

/** Parses `text` once per (text, limits); throws KRX_EXPRESSION_INVALID naming the problem. */
export function compileExpression(text: string, options: CompileOptions = {}): CompiledExpression {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const fastPath = options.fastPath !== false;
  const cache = options.cache !== false;
  if (fastPath && isDefault(limits)) {
    const hit = cache ? compiledByText.get(text) : undefined;
    if (hit) return hit;
    const expression = parse(text, limits, fastPath);
    if (cache) compiledByText.set(text, expression);
    return expression;
  }
  const key = `${limitsKey(limits)}${fastPath ? '' : ',slow'}\n${text}`;
  const hit = cache ? compiled.get(key) : undefined;
  if (hit) return hit;
  const expression = parse(text, limits, fastPath);
  if (cache) compiled.set(key, expression);
  return expression;
}

function isDefault(limits: TransformLimits): boolean {
  return limits === DEFAULT_LIMITS || limitsKey(limits) === DEFAULT_LIMITS_KEY;
}

const DEFAULT_LIMITS_KEY = limitsKey(DEFAULT_LIMITS);

function parse(text: string, limits: TransformLimits, fastPath: boolean): CompiledExpression {
  if (text.length > MAX_EXPRESSION_LENGTH) {
    throw invalid('KRX_EXPRESSION_INVALID', [
      { path: '', message: `The expression is longer than ${MAX_EXPRESSION_LENGTH} characters` },
    ]);
  }
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text, {
      timeout: limits.expressionTimeoutMs,
      stack: limits.expressionMaxDepth,
      sequence: limits.expressionMaxSequence,
      RegexEngine: guardedRegExpClass(limits),
    });
  } catch (error) {
    const failure = error as JsonataFailure;
    const at = failure.position === undefined ? '' : ` (at character ${failure.position})`;
    throw invalid('KRX_EXPRESSION_INVALID', [
      { path: '', message: `${failure.message ?? String(error)}${at}` },
    ]);
  }
  assertRegexesSafe(expression.ast(), limits);
  for (const fn of [...EXTRA_FUNCTIONS, ...lengthGuardedBuiltIns(limits)])
    expression.registerFunction(fn.name, fn.implementation, fn.signature);
  // JSONata looks its hooks up by symbol in the environment; `assign` binds any key there.
  expression.assign(Symbol.for('jsonata.__evaluate_exit') as unknown as string, lengthCheckOnExit(limits));
  if (!fastPath) return { text, jsonata: expression, fallbackReason: 'fast path off' };
  const plan = planFastPath(expression.ast(), limits);
  return plan.supported
    ? { text, jsonata: expression, fast: plan.run }
    : { text, jsonata: expression, fallbackReason: plan.reason };
}

/** Regex literals are refused when saved, not first when a payload happens to reach them. */
function assertRegexesSafe(ast: jsonata.ExprNode, limits: TransformLimits): void {
  const seen = new Set<object>();
  const pending: unknown[] = [ast];
  while (pending.length > 0) {
    const node = pending.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (node instanceof RegExp) {
      const hazard = findRegexHazard(node.source, limits.maxPatternLength);
      if (hazard) {
        throw invalid('KRX_EXPRESSION_INVALID', [
          { path: '', message: `Regular expression /${node.source}/: ${hazard}` },
        ]);
      }
      continue;
    }
    pending.push(...Object.values(node));
  }
}

/**
 * Evaluates a compiled expression. Bound violations become KRX_LIMIT_EXCEEDED, other failures
 * KRX_TRANSFORM_FAILED; JSON has no `undefined`, so "no result" is returned as undefined for the
 * caller to decide (a map step turns it into null, a template omits the member).
 */
export async function evaluateCompiled(expression: CompiledExpression, data: unknown): Promise<unknown> {
  if (expression.fast) {
    const answer = runFast(expression.fast, data);
    if (answer !== NO_ANSWER) return jsonResult(answer); // already clean of sequence markers
  }
  let result: unknown;
  try {
    result = await expression.jsonata.evaluate(data);
  } catch (error) {
    throw evaluationError(error);
  }
  stripSequenceMarkers(jsonResult(result));
  return result;
}

function jsonResult(result: unknown): unknown {
  if (
    typeof result === 'function' ||
    (result !== null && typeof result === 'object' && '_jsonata_lambda' in result)
  ) {
    throw new KryonixError(
      'KRX_TRANSFORM_FAILED',
      'The expression returned a function, which is not JSON data',
    );
  }
  return result;
}

const NO_ANSWER = Symbol('no answer');

/**
 * The fast path answers exactly what JSONata would, or not at all: whatever it throws (a case it
 * leaves to JSONata, an error JSONata would report its own way) sends the call to JSONata — except
 * running out of time, which must not start a second budget.
 */
function runFast(fast: (data: unknown) => unknown, data: unknown): unknown {
  try {
    return fast(data);
  } catch (error) {
    if (error instanceof FastTimeout) throw evaluationError(error);
    return NO_ANSWER;
  }
}

function evaluationError(error: unknown): KryonixError {
  if (error instanceof KryonixError) return error;
  const failure = error as JsonataFailure;
  const message = failure.message ?? String(error);
  if ((failure.code && LIMIT_CODES.has(failure.code)) || error instanceof RangeError) {
    return new KryonixError('KRX_LIMIT_EXCEEDED', `Expression stopped: ${message}`);
  }
  const at = failure.position === undefined ? '' : ` (at character ${failure.position})`;
  return new KryonixError('KRX_TRANSFORM_FAILED', `Expression failed: ${message}${at}`, {
    extensions: failure.code ? { expressionErrorCode: failure.code } : {},
  });
}

/** Compile (cached) and evaluate in one call, for callers holding only the text. */
export async function evaluateExpression(
  text: string,
  data: unknown,
  options: CompileOptions = {},
): Promise<unknown> {
  return evaluateCompiled(compileExpression(text, options), data);
}
