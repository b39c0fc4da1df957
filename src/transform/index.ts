/**
 * The data pipeline's service interface: mapping, validation, filters, templates, format conversion
 * and pipelines of them. Everything not exported here is private to the module.
 */
export {
  type CompiledExpression,
  compileExpression,
  evaluateCompiled,
  evaluateExpression,
} from './expression.js';
export { FIELD_TRANSFORMS, type FieldMapping, type FieldTransform } from './field-mapping.js';
export { type CompiledFilter, compileFilter, evaluateFilter, type FilterSpec } from './filter.js';
export { type ConvertOptions, FORMATS, type Format } from './formats/codec.js';
export { resolveFormat } from './formats/content-type.js';
export { type ConvertRequest, convertFormat } from './formats/convert.js';
export { DEFAULT_LIMITS, resolveLimits, type TransformLimits } from './limits.js';
export { compileMapping, evaluateMapping, type Mapping } from './mapping.js';
export {
  type CompiledPipeline,
  compilePipeline,
  type PipelineResult,
  type RunOptions,
  runPipeline,
  type StepRecord,
  type StepRecorder,
  type StepTrace,
  validatePipeline,
} from './pipeline.js';
export { MAX_PIPELINE_STEPS, PIPELINE_STEP_SCHEMA, PIPELINE_STEPS_SCHEMA } from './pipeline-schema.js';
export { compileSchema, type ValidationResult, validateAgainstSchema } from './schema.js';
export { type PipelineStep, STEP_TYPES, type StepType } from './steps.js';
export {
  type CompiledTransformations,
  checkStoredPresets,
  compilePresets,
  STORED_TRANSFORMATIONS_SCHEMA,
  type StoredPresets,
  type StoredTransformations,
} from './stored.js';
export { type CompiledTemplate, compileTemplate, renderTemplate } from './template.js';
export type { Issue, JsonValue } from './types.js';
export { WHERE_OPERATORS, type WhereCondition, type WhereOperator } from './where.js';
