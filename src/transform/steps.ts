import type { FieldMapping } from './field-mapping.js';
import type { ConvertOptions } from './formats/codec.js';
import type { JsonValue } from './types.js';
import type { WhereCondition } from './where.js';

export const STEP_TYPES = ['convert', 'validate', 'map', 'filter', 'template'] as const;
export type StepType = (typeof STEP_TYPES)[number];

interface Named {
  /** Shown in traces and recorded as the data_transformations name. */
  name?: string;
}

export type ConvertStep = Named & { type: 'convert'; from: string; to: string; options?: ConvertOptions };
export type ValidateStep = Named & { type: 'validate'; schema: Record<string, JsonValue> | boolean };
export type MapStep = Named & { type: 'map' } & ({ expression: string } | { fields: FieldMapping[] });
export type FilterStep = Named & { type: 'filter' } & ({ expression: string } | { where: WhereCondition });
export type TemplateStep = Named & { type: 'template'; template: JsonValue };

export type PipelineStep = ConvertStep | ValidateStep | MapStep | FilterStep | TemplateStep;
