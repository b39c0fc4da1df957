import { type PathSegment, parseFieldPath } from './field-path.js';
import { invalid } from './issues.js';
import type { Issue, JsonValue } from './types.js';

export const FIELD_TRANSFORMS = [
  'uppercase',
  'lowercase',
  'trim',
  'number',
  'boolean',
  'string',
  'date',
  'json',
  'base64',
] as const;
export type FieldTransform = (typeof FIELD_TRANSFORMS)[number];

/** One declarative field: copy `from` (a path in the input) to `to` (a dotted path in the output). */
export interface FieldMapping {
  from: string;
  to: string;
  /** Used when `from` is absent (null counts as present). */
  default?: JsonValue;
  transform?: FieldTransform;
}

/** Each transform as a JSONata call on `$v`; `$string` first where the function needs text. */
const TRANSFORM_CALLS: Record<FieldTransform, string> = {
  uppercase: '$uppercase($string($v))',
  lowercase: '$lowercase($string($v))',
  trim: '$trim($string($v))',
  number: '$number($v)',
  boolean: '$toBoolean($v)',
  string: '$string($v)',
  date: '$parseDate($v)',
  json: '$parseJson($v)',
  base64: '$base64encode($string($v))',
};

interface OutputTree {
  [key: string]: OutputTree | string;
}

/**
 * Compiles a field list into one JSONata object constructor, so declarative mappings run on the same
 * engine (and cache, and bounds) as hand-written expressions. Throws KRX_VALIDATION_FAILED with the
 * offending field's path (`/3/from`).
 */
export function fieldsToExpression(fields: readonly FieldMapping[]): string {
  const tree: OutputTree = {};
  const issues: Issue[] = [];
  fields.forEach((field, index) => {
    try {
      placeValue(tree, field.to, valueExpression(field, index), index);
    } catch (error) {
      issues.push({ path: (error as FieldError).path ?? `/${index}`, message: (error as Error).message });
    }
  });
  if (issues.length > 0) throw invalid('KRX_VALIDATION_FAILED', issues);
  return renderTree(tree);
}

class FieldError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function valueExpression(field: FieldMapping, index: number): string {
  let segments: PathSegment[];
  try {
    segments = parseFieldPath(field.from);
  } catch (error) {
    throw new FieldError(`/${index}/from`, (error as Error).message);
  }
  const path = segments.map((segment, i) => renderSegment(segment, i, index)).join('');
  if (field.transform !== undefined && !Object.hasOwn(TRANSFORM_CALLS, field.transform)) {
    throw new FieldError(`/${index}/transform`, `Unknown transform "${field.transform}"`);
  }
  const transformed = field.transform === undefined ? '$v' : TRANSFORM_CALLS[field.transform];
  // Every transform passes "nothing" through, so only a default needs the (slower) block.
  if (field.default === undefined) return transformed.replaceAll('$v', path);
  return `($v := ${path}; $exists($v) ? ${transformed} : ${JSON.stringify(field.default)})`;
}

function renderSegment(segment: PathSegment, position: number, index: number): string {
  if (typeof segment === 'number') return position === 0 ? `$[${segment}]` : `[${segment}]`;
  // JSONata backtick names have no escape for a backtick itself.
  if (segment.includes('`'))
    throw new FieldError(`/${index}/from`, 'Field names containing ` are not supported');
  return `${position === 0 ? '' : '.'}\`${segment}\``;
}

function placeValue(tree: OutputTree, to: string, value: string, index: number): void {
  let segments: PathSegment[];
  try {
    segments = parseFieldPath(to);
  } catch (error) {
    throw new FieldError(`/${index}/to`, (error as Error).message);
  }
  if (segments.some((segment) => typeof segment === 'number')) {
    throw new FieldError(`/${index}/to`, `"to" is a dotted path of object keys; "${to}" has an array index`);
  }
  const keys = segments as string[];
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = Object.hasOwn(node, key) ? node[key] : undefined;
    if (typeof next === 'string')
      throw new FieldError(`/${index}/to`, `"${to}" is inside a field mapped earlier`);
    node = next ?? defineOwn(node, key, {});
  }
  const last = keys[keys.length - 1];
  if (Object.hasOwn(node, last)) throw new FieldError(`/${index}/to`, `"${to}" is mapped more than once`);
  defineOwn(node, last, value);
}

/** defineProperty so a key named `__proto__` stays an ordinary member. */
function defineOwn<T extends OutputTree | string>(node: OutputTree, key: string, value: T): T {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
  return value;
}

function renderTree(tree: OutputTree): string {
  const members = Object.entries(tree).map(
    ([key, value]) => `${JSON.stringify(key)}: ${typeof value === 'string' ? value : renderTree(value)}`,
  );
  return `{${members.join(', ')}}`;
}
