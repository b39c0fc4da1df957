import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { LRUCache } from 'lru-cache';
import { exceedsDepth } from './depth.js';
import { invalid, pointerSegment } from './issues.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';
import { findRegexHazard } from './regex-guard.js';
import { stableStringify } from './stable-json.js';
import type { Issue } from './types.js';

const DRAFT_07 = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/;
const DRAFT_2020_12 = /^https?:\/\/json-schema\.org\/draft\/2020-12\/schema#?$/;

/** More errors than this says nothing a person can act on and only grows the problem document. */
const MAX_REPORTED_ERRORS = 50;

type Draft = 'draft-07' | '2020-12';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = formatsPlugin.default;

function createAjv(draft: Draft, limits: TransformLimits): Ajv {
  const options: Options = {
    allErrors: true,
    // Off: schemas pasted from OpenAPI carry annotations (`example`, `nullable`) that strict mode rejects.
    strict: false,
    // Unknown formats are then ignored rather than thrown; without a logger they stay off stderr.
    logger: false,
    // Schema `pattern`s are user input too: refuse backtracking hazards when the schema is compiled.
    code: { regExp: guardedPatternCompiler(limits) },
  };
  const ajv = draft === 'draft-07' ? new Ajv(options) : new Ajv2020(options);
  addFormats(ajv);
  return ajv;
}

function guardedPatternCompiler(limits: TransformLimits) {
  const compile = (pattern: string, flags: string): RegExp => {
    const hazard = findRegexHazard(pattern, limits.maxPatternLength);
    if (hazard) throw new Error(`pattern /${pattern}/ refused: ${hazard}`);
    return new RegExp(pattern, flags);
  };
  compile.code = 'new RegExp';
  return compile;
}

const validators = new LRUCache<string, ValidateFunction>({ max: 500 });
const ajvByDraft = new Map<string, Ajv>();

function ajvFor(draft: Draft, limits: TransformLimits): Ajv {
  const key = `${draft}|${limits.maxPatternLength}`;
  let ajv = ajvByDraft.get(key);
  if (!ajv) {
    ajv = createAjv(draft, limits);
    ajvByDraft.set(key, ajv);
  }
  return ajv;
}

function draftOf(schema: unknown): Draft {
  const declared =
    schema !== null && typeof schema === 'object' ? (schema as Record<string, unknown>).$schema : undefined;
  if (declared === undefined || (typeof declared === 'string' && DRAFT_2020_12.test(declared)))
    return '2020-12';
  if (typeof declared === 'string' && DRAFT_07.test(declared)) return 'draft-07';
  throw invalid('KRX_SCHEMA_INVALID', [
    {
      path: '/$schema',
      message: `Unsupported $schema ${JSON.stringify(declared)}: use draft 2020-12 (the default) or draft-07`,
    },
  ]);
}

/**
 * Compiles a JSON Schema once per (text, limits). Throws KRX_SCHEMA_INVALID listing what is wrong,
 * which is how invalid schemas are refused when a pipeline is saved.
 */
export function compileSchema(schema: unknown, limits: TransformLimits = DEFAULT_LIMITS): ValidateFunction {
  if (
    typeof schema !== 'boolean' &&
    (schema === null || typeof schema !== 'object' || Array.isArray(schema))
  ) {
    throw invalid('KRX_SCHEMA_INVALID', [{ path: '', message: 'A JSON Schema is an object or a boolean' }]);
  }
  if (exceedsDepth(schema, limits.maxDepth)) {
    throw invalid('KRX_SCHEMA_INVALID', [
      { path: '', message: `The schema is nested deeper than ${limits.maxDepth} levels` },
    ]);
  }
  const draft = draftOf(schema);
  const key = `${draft}|${limits.maxPatternLength}|${stableStringify(schema)}`;
  const cached = validators.get(key);
  if (cached) return cached;
  const ajv = ajvFor(draft, limits);
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (error) {
    const issues = ajv.errors?.length
      ? toIssues(ajv.errors)
      : [{ path: '', message: (error as Error).message }];
    throw invalid('KRX_SCHEMA_INVALID', issues);
  } finally {
    // Our LRU is the cache. Ajv's own keeps every schema forever and refuses a second copy of an `$id`.
    if (typeof schema === 'object') ajv.removeSchema(schema);
  }
  validators.set(key, validate);
  return validate;
}

export interface ValidationResult {
  valid: boolean;
  errors: Issue[];
}

/**
 * Validates any JSON value; never throws for the data (only for an invalid schema). Data nested
 * beyond the depth limit is reported as invalid rather than risking ajv's recursion.
 */
export function validateAgainstSchema(
  schema: unknown,
  data: unknown,
  limits: TransformLimits = DEFAULT_LIMITS,
): ValidationResult {
  return checkAgainst(compileSchema(schema, limits), data, limits);
}

/** Validation with an already compiled schema (see validateAgainstSchema). */
export function checkAgainst(
  validate: ValidateFunction,
  data: unknown,
  limits: TransformLimits,
): ValidationResult {
  if (exceedsDepth(data, limits.maxDepth)) {
    return {
      valid: false,
      errors: [{ path: '', message: `is nested deeper than ${limits.maxDepth} levels` }],
    };
  }
  if (validate(data)) return { valid: true, errors: [] };
  return { valid: false, errors: toIssues(validate.errors ?? []) };
}

function toIssues(errors: readonly ErrorObject[]): Issue[] {
  // An `if` error only says its `then`/`else` failed; those failures are reported on their own.
  const meaningful = errors.filter((error) => error.keyword !== 'if');
  return meaningful.slice(0, MAX_REPORTED_ERRORS).map((error) => ({
    path: error.instancePath + memberNamedByError(error),
    message: error.message ?? error.keyword,
  }));
}

/** `required` and `additionalProperties` report the parent; point at the member they are about. */
function memberNamedByError(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const member = params.missingProperty ?? params.additionalProperty;
  return member === undefined ? '' : pointerSegment(member);
}
