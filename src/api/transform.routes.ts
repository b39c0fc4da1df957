import type { FastifyInstance } from 'fastify';
import { PIPELINE_STEPS_SCHEMA, type PipelineStep, runPipeline, STEP_TYPES } from '../transform/index.js';
import { errorResponses } from './schemas.js';

const issues = {
  type: 'array',
  items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
} as const;

const stepTrace = {
  type: 'object',
  required: ['type', 'durationMs'],
  properties: {
    type: { type: 'string', enum: STEP_TYPES },
    name: { type: 'string' },
    output: { description: "The step's result (text after a conversion to a text format)" },
    passed: { type: 'boolean', description: 'Filters only' },
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, errors: issues },
    },
    durationMs: { type: 'number' },
  },
} as const;

interface TestBody {
  steps: PipelineStep[];
  input: unknown;
}

/** Try a pipeline: the dashboard's "test" button. Auth is the global hook's; this only runs it. */
export async function transformRoutes(app: FastifyInstance): Promise<void> {
  app.post<{ Body: TestBody }>(
    '/transform/test',
    {
      schema: {
        tags: ['transform'],
        summary: 'Run a data pipeline over an input and show each step',
        description:
          'Runs the steps in order. A step that fails answers 422 with the step index, its type, any validation ' +
          'errors and the trace so far; an expression or schema that does not compile answers 400 naming it.',
        body: {
          type: 'object',
          required: ['steps', 'input'],
          additionalProperties: false,
          properties: {
            steps: PIPELINE_STEPS_SCHEMA,
            input: { description: 'Any JSON value, or text for a first `convert` step' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['output', 'filtered', 'steps'],
            properties: {
              output: { description: 'The last step output; null when a filter stopped the pipeline' },
              filtered: { type: 'boolean' },
              steps: { type: 'array', items: stepTrace },
            },
          },
          ...errorResponses,
          422: { $ref: 'Problem#' },
        },
      },
    },
    async (request) => runPipeline(request.body.steps, request.body.input),
  );
}
