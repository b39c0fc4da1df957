import { FIELD_TRANSFORMS } from './field-mapping.js';
import { STEP_TYPES, type StepType } from './steps.js';
import { MAX_WHERE_NESTING, WHERE_OPERATORS } from './where.js';

/*
 * JSON Schema (draft-07 and 2020-12 alike, no $ref) for a pipeline's step list, for API routes'
 * Fastify schemas and for validatePipeline. Steps are told apart with if/then on `type` rather than
 * oneOf: Fastify's Ajv runs with removeAdditional, which strips members while trying each oneOf
 * branch and so corrupts the branch that should match.
 */

export const MAX_PIPELINE_STEPS = 50;

/** JSON Schema's if/then/else, built in one place because `then` is a keyword here, not a thenable. */
function conditional(ifSchema: object, thenSchema: object, elseSchema?: object): Record<string, unknown> {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword.
  return { if: ifSchema, then: thenSchema, ...(elseSchema ? { else: elseSchema } : {}) };
}

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

const whereClauseSchema = {
  type: 'object',
  required: ['field', 'op'],
  additionalProperties: false,
  properties: {
    field: text(500),
    op: { type: 'string', enum: WHERE_OPERATORS },
    value: {},
  },
};

function whereSchema(nesting: number): Record<string, unknown> {
  if (nesting === 0) return whereClauseSchema;
  const members = { type: 'array', minItems: 1, maxItems: 100, items: whereSchema(nesting - 1) };
  const group = (key: 'all' | 'any') => ({
    type: 'object',
    required: [key],
    additionalProperties: false,
    properties: { [key]: members },
  });
  return conditional(
    { type: 'object', required: ['all'] },
    group('all'),
    conditional({ type: 'object', required: ['any'] }, group('any'), whereClauseSchema),
  );
}

const convertOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    delimiter: text(8),
    quote: { type: 'string', minLength: 1, maxLength: 1 },
    header: { type: 'boolean' },
    rootName: text(200),
    itemName: text(200),
    attributePrefix: { type: 'string', maxLength: 20 },
    parseValues: { type: 'boolean' },
    nested: { type: 'boolean' },
  },
};

const fieldMappingSchema = {
  type: 'object',
  required: ['from', 'to'],
  additionalProperties: false,
  properties: {
    from: text(1000),
    to: text(1000),
    default: {},
    transform: { type: 'string', enum: FIELD_TRANSFORMS },
  },
};

const common = { type: { type: 'string', enum: STEP_TYPES }, name: { type: 'string', maxLength: 200 } };

/** Members each step type allows. The `oneOf`s only test `required`, so they strip nothing. */
const STEP_BODIES: Record<StepType, Record<string, unknown>> = {
  convert: {
    required: ['from', 'to'],
    properties: { ...common, from: text(200), to: text(200), options: convertOptionsSchema },
  },
  validate: {
    required: ['schema'],
    properties: { ...common, schema: { type: ['object', 'boolean'] } },
  },
  map: {
    properties: {
      ...common,
      expression: text(65_536),
      fields: { type: 'array', minItems: 1, maxItems: 500, items: fieldMappingSchema },
    },
    oneOf: [{ required: ['expression'] }, { required: ['fields'] }],
  },
  filter: {
    properties: { ...common, expression: text(65_536), where: whereSchema(MAX_WHERE_NESTING) },
    oneOf: [{ required: ['expression'] }, { required: ['where'] }],
  },
  template: {
    required: ['template'],
    properties: { ...common, template: {} },
  },
};

export const PIPELINE_STEP_SCHEMA = {
  type: 'object',
  required: ['type'],
  properties: { type: common.type },
  allOf: STEP_TYPES.map((type) =>
    conditional(
      { properties: { type: { const: type } } },
      { additionalProperties: false, ...STEP_BODIES[type] },
    ),
  ),
} as const;

export const PIPELINE_STEPS_SCHEMA = {
  type: 'array',
  maxItems: MAX_PIPELINE_STEPS,
  items: PIPELINE_STEP_SCHEMA,
} as const;
