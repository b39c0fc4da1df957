import { isDeepStrictEqual } from 'node:util';
import { type PathSegment, parseFieldPath, readPath } from './field-path.js';
import { invalid } from './issues.js';
import type { TransformLimits } from './limits.js';
import { assertRegexInput, findRegexHazard } from './regex-guard.js';
import type { JsonValue } from './types.js';

export const WHERE_OPERATORS = [
  'eq',
  'ne',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'contains',
  'exists',
  'matches',
] as const;
export type WhereOperator = (typeof WHERE_OPERATORS)[number];

export interface WhereClause {
  field: string;
  op: WhereOperator;
  value?: JsonValue;
}

/** A declarative filter: one clause, or all / any of nested conditions. */
export type WhereCondition = WhereClause | { all: WhereCondition[] } | { any: WhereCondition[] };

export type Predicate = (data: unknown) => boolean;

type Comparison = (actual: unknown, expected: JsonValue | undefined) => boolean;

function ordered(test: (order: number) => boolean): Comparison {
  return (actual, expected) => {
    // Only like with like: numbers by value, strings by code unit (so ISO dates order correctly).
    if (typeof actual === 'number' && typeof expected === 'number') return test(actual - expected);
    if (typeof actual === 'string' && typeof expected === 'string') {
      return test(actual < expected ? -1 : actual > expected ? 1 : 0);
    }
    return false;
  };
}

const COMPARISONS: Record<Exclude<WhereOperator, 'matches'>, Comparison> = {
  eq: (actual, expected) => isDeepStrictEqual(actual, expected),
  ne: (actual, expected) => !isDeepStrictEqual(actual, expected),
  gt: ordered((order) => order > 0),
  gte: ordered((order) => order >= 0),
  lt: ordered((order) => order < 0),
  lte: ordered((order) => order <= 0),
  in: (actual, expected) =>
    Array.isArray(expected) && expected.some((item) => isDeepStrictEqual(actual, item)),
  contains: (actual, expected) =>
    typeof actual === 'string'
      ? typeof expected === 'string' && actual.includes(expected)
      : Array.isArray(actual) && actual.some((item) => isDeepStrictEqual(item, expected)),
  exists: (actual, expected) => (actual !== undefined) === (expected ?? true),
};

/**
 * How deeply `where` groups may nest: enforced here for every caller (a subscription's filter is not
 * a pipeline step), and unrolled to this depth in the pipeline schema instead of a $ref.
 */
export const MAX_WHERE_NESTING = 4;

/**
 * Compiles a `where` condition into a predicate that always returns a boolean: a missing field or a
 * type mismatch is simply `false` (except `ne`, `exists: false`). Throws KRX_VALIDATION_FAILED with
 * the path of the bad clause (`/all/1/op`).
 */
export function compileWhere(condition: WhereCondition, limits: TransformLimits, path = ''): Predicate {
  return compileCondition(condition, limits, path, 0);
}

function compileCondition(
  condition: WhereCondition,
  limits: TransformLimits,
  path: string,
  nesting: number,
): Predicate {
  if (condition === null || typeof condition !== 'object' || Array.isArray(condition)) {
    throw invalid('KRX_VALIDATION_FAILED', [{ path, message: 'A condition is an object' }]);
  }
  if ('all' in condition || 'any' in condition) {
    if (nesting === MAX_WHERE_NESTING) {
      throw invalid('KRX_VALIDATION_FAILED', [
        { path, message: `"all"/"any" groups nest at most ${MAX_WHERE_NESTING} levels deep` },
      ]);
    }
    return compileGroup(condition, limits, path, nesting + 1);
  }
  return compileClause(condition, limits, path);
}

function compileGroup(
  condition: { all: WhereCondition[] } | { any: WhereCondition[] },
  limits: TransformLimits,
  path: string,
  nesting: number,
): Predicate {
  const key = 'all' in condition ? 'all' : 'any';
  const members = (condition as Record<string, unknown>)[key];
  if (!Array.isArray(members) || members.length === 0) {
    throw invalid('KRX_VALIDATION_FAILED', [
      { path: `${path}/${key}`, message: `"${key}" is a non-empty list` },
    ]);
  }
  const predicates = members.map((member, i) =>
    compileCondition(member, limits, `${path}/${key}/${i}`, nesting),
  );
  return key === 'all'
    ? (data) => predicates.every((predicate) => predicate(data))
    : (data) => predicates.some((predicate) => predicate(data));
}

function compileClause(clause: WhereClause, limits: TransformLimits, path: string): Predicate {
  let segments: PathSegment[];
  try {
    segments = parseFieldPath(String(clause.field ?? ''));
  } catch (error) {
    throw invalid('KRX_VALIDATION_FAILED', [{ path: `${path}/field`, message: (error as Error).message }]);
  }
  if (clause.op === 'matches') return compileMatches(clause, segments, limits, path);
  if (!Object.hasOwn(COMPARISONS, clause.op)) {
    throw invalid('KRX_VALIDATION_FAILED', [
      {
        path: `${path}/op`,
        message: `Unknown operator ${JSON.stringify(clause.op)}; use one of ${WHERE_OPERATORS.join(', ')}`,
      },
    ]);
  }
  if (clause.op === 'in' && !Array.isArray(clause.value)) {
    throw invalid('KRX_VALIDATION_FAILED', [{ path: `${path}/value`, message: '"in" needs a list value' }]);
  }
  if (clause.op === 'exists' && clause.value !== undefined && typeof clause.value !== 'boolean') {
    throw invalid('KRX_VALIDATION_FAILED', [
      { path: `${path}/value`, message: '"exists" takes true or false' },
    ]);
  }
  const compare = COMPARISONS[clause.op];
  const expected = clause.value;
  return (data) => compare(readPath(data, segments), expected);
}

function compileMatches(
  clause: WhereClause,
  segments: PathSegment[],
  limits: TransformLimits,
  path: string,
): Predicate {
  const valuePath = `${path}/value`;
  if (typeof clause.value !== 'string') {
    throw invalid('KRX_VALIDATION_FAILED', [
      { path: valuePath, message: '"matches" needs a regular expression string' },
    ]);
  }
  const hazard = findRegexHazard(clause.value, limits.maxPatternLength);
  let pattern: RegExp;
  try {
    if (hazard) throw new Error(hazard);
    pattern = new RegExp(clause.value, 'u');
  } catch (error) {
    throw invalid('KRX_VALIDATION_FAILED', [
      { path: valuePath, message: `Regular expression refused: ${(error as Error).message}` },
    ]);
  }
  return (data) => {
    const actual = readPath(data, segments);
    if (typeof actual !== 'string') return false;
    assertRegexInput(actual, limits);
    return pattern.test(actual);
  };
}
