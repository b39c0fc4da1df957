import { invalid, underPath } from './issues.js';
import { compileMapping, type Mapping } from './mapping.js';
import { type CompiledPipeline, compilePipeline } from './pipeline.js';
import { PIPELINE_STEPS_SCHEMA } from './pipeline-schema.js';
import type { PipelineStep } from './steps.js';
import { compileTemplate } from './template.js';
import type { JsonValue } from './types.js';

/**
 * Pipelines stored on a connection or a connection endpoint: `request` runs on the data a gateway
 * call sends, `response` on the data a successful upstream answer carries.
 */
export interface StoredTransformations {
  request?: PipelineStep[];
  response?: PipelineStep[];
}

export interface CompiledTransformations {
  request?: CompiledPipeline;
  response?: CompiledPipeline;
}

/** For API route schemas; `null` clears them. */
export const STORED_TRANSFORMATIONS_SCHEMA = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: { request: PIPELINE_STEPS_SCHEMA, response: PIPELINE_STEPS_SCHEMA },
  description: 'Pipelines run around every gateway call: { request?: steps, response?: steps }',
} as const;

/** What a connection or endpoint stores; `bodyTemplate` and `responseMapping` are the seed's endpoint columns. */
export interface StoredPresets {
  transformations?: StoredTransformations | null;
  bodyTemplate?: unknown;
  responseMapping?: unknown;
}

/**
 * Save-time check: throws a 400 whose issue paths point into the saved body
 * (`/transformations/request/0/expression`, `/bodyTemplate/total`, `/responseMapping/expression`).
 */
export function checkStoredPresets(presets: StoredPresets): void {
  compilePresets(presets);
}

/**
 * The pipelines a gateway call runs: the template renders the request body before the `request`
 * steps, the mapping maps the answer after the `response` steps.
 */
export function compilePresets(presets: StoredPresets): CompiledTransformations {
  const request = [...(presets.transformations?.request ?? [])];
  const response = [...(presets.transformations?.response ?? [])];
  if (presets.bodyTemplate !== undefined && presets.bodyTemplate !== null) {
    try {
      compileTemplate(presets.bodyTemplate as JsonValue);
    } catch (error) {
      throw underPath(error, '/bodyTemplate');
    }
    request.unshift({ type: 'template', template: presets.bodyTemplate as JsonValue });
  }
  if (presets.responseMapping !== undefined && presets.responseMapping !== null) {
    const mapping = asMapping(presets.responseMapping);
    try {
      compileMapping(mapping);
    } catch (error) {
      throw underPath(error, '/responseMapping');
    }
    response.push({ type: 'map', ...mapping } as PipelineStep);
  }
  try {
    return compileTransformations({ request, response });
  } catch (error) {
    throw underPath(error, '/transformations');
  }
}

function asMapping(value: unknown): Mapping {
  if (typeof value === 'string') return { expression: value };
  if (
    value !== null &&
    typeof value === 'object' &&
    (typeof (value as { expression?: unknown }).expression === 'string' ||
      Array.isArray((value as { fields?: unknown }).fields))
  )
    return value as Mapping;
  throw invalid('KRX_VALIDATION_FAILED', [
    { path: '/responseMapping', message: 'A mapping is JSONata text, { expression } or { fields }' },
  ]);
}

/**
 * Compiles both pipelines; a fault is thrown with its path from the stored object
 * (`/request/0/expression`), so saving refuses it and loading never meets it.
 */
export function compileTransformations(
  stored: StoredTransformations | null | undefined,
): CompiledTransformations {
  const compiled: CompiledTransformations = {};
  for (const side of ['request', 'response'] as const) {
    const steps = stored?.[side];
    if (!steps || steps.length === 0) continue;
    try {
      compiled[side] = compilePipeline(steps);
    } catch (error) {
      throw underPath(error, `/${side}`);
    }
  }
  return compiled;
}
