import type { ValidateFunction } from 'ajv';
import { KryonixError } from '../platform/errors.js';
import { assertDepth } from './depth.js';
import { invalid, underPath } from './issues.js';
import { resolveLimits, type TransformLimits } from './limits.js';
import { PIPELINE_STEPS_SCHEMA } from './pipeline-schema.js';
import { checkAgainst, compileSchema } from './schema.js';
import { type RunStep, STEP_COMPILERS, type StepOutcome } from './step-compilers.js';
import type { PipelineStep, StepType } from './steps.js';
import type { Issue, JsonValue } from './types.js';

export interface StepTrace {
  type: StepType;
  name?: string;
  /** The step's result; for a filter, its input when it passed and null when it did not. */
  output?: unknown;
  /** Filters only. */
  passed?: boolean;
  error?: { code: string; message: string; errors?: Issue[] };
  durationMs: number;
}

export interface PipelineResult {
  /** The last step's output; null when a filter stopped the pipeline. */
  output: JsonValue | string | null;
  /** True when a filter rejected the data; the steps after it did not run. */
  filtered: boolean;
  steps: StepTrace[];
}

/** One row's worth for `data_transformations`; the module itself never writes it. */
export interface StepRecord {
  type: StepType;
  name: string | null;
  input: unknown;
  output: unknown;
  config: PipelineStep;
  error: string | null;
  processingTimeMs: number;
  status: 'success' | 'filtered' | 'failed';
}

export type StepRecorder = (record: StepRecord) => void | Promise<void>;

export interface CompiledPipeline {
  readonly steps: readonly PipelineStep[];
  /** Runs the steps in order; a failing step throws KRX_TRANSFORM_FAILED naming it. */
  run(input: unknown, record?: StepRecorder): Promise<PipelineResult>;
}

let stepsValidator: ValidateFunction | undefined;

/** Compiled on first use and kept: keying a cache on this large constant would cost more than it saves. */
function shapeValidator(): ValidateFunction {
  stepsValidator ??= compileSchema(PIPELINE_STEPS_SCHEMA);
  return stepsValidator;
}

/**
 * Checks the step list's shape, then compiles every expression, schema and template. Rejections are
 * KRX_VALIDATION_FAILED / KRX_EXPRESSION_INVALID / KRX_SCHEMA_INVALID with `step` (index), `stepType`
 * and `errors` whose paths are JSON Pointers into the step list (`/2/expression`).
 */
export function compilePipeline(steps: unknown, limits: TransformLimits = resolveLimits()): CompiledPipeline {
  const shape = checkAgainst(shapeValidator(), steps, limits);
  if (!shape.valid) {
    const step = Number(shape.errors[0]?.path.split('/')[1]);
    throw invalid(
      'KRX_VALIDATION_FAILED',
      shape.errors,
      Number.isInteger(step) ? { step } : {},
      'Invalid pipeline',
    );
  }
  const typed = steps as PipelineStep[];
  const runners = typed.map((step, index) => {
    try {
      return (STEP_COMPILERS[step.type] as (s: PipelineStep, l: TransformLimits) => RunStep)(step, limits);
    } catch (error) {
      const context = `Step ${index} (${step.type})`;
      throw underPath(error, `/${index}`, { step: index, stepType: step.type }, context);
    }
  });
  return { steps: typed, run: (input, record) => run(typed, runners, input, limits, record) };
}

/** Save-time check: throws what compilePipeline throws, returns nothing. */
export function validatePipeline(steps: unknown, limits?: Partial<TransformLimits>): void {
  compilePipeline(steps, resolveLimits(limits));
}

export interface RunOptions {
  limits?: Partial<TransformLimits>;
  record?: StepRecorder;
}

/** Compiles (expressions and schemas come from cache) and runs a pipeline once. */
export async function runPipeline(
  steps: unknown,
  input: unknown,
  options: RunOptions = {},
): Promise<PipelineResult> {
  return compilePipeline(steps, resolveLimits(options.limits)).run(input, options.record);
}

async function run(
  steps: readonly PipelineStep[],
  runners: readonly RunStep[],
  input: unknown,
  limits: TransformLimits,
  record?: StepRecorder,
): Promise<PipelineResult> {
  assertDepth(input, limits.maxDepth, 'The input');
  const trace: StepTrace[] = [];
  let current = input;
  for (const [index, step] of steps.entries()) {
    const started = performance.now();
    let outcome: StepOutcome;
    try {
      outcome = await runners[index](current);
    } catch (error) {
      const durationMs = elapsedSince(started);
      const failure = error instanceof KryonixError ? error : undefined;
      const errors = failure?.extensions.errors as Issue[] | undefined;
      const message = (error as Error).message ?? String(error);
      trace.push({
        ...identify(step),
        error: { code: failure?.code ?? 'KRX_INTERNAL', message, ...(errors ? { errors } : {}) },
        durationMs,
      });
      await record?.(recordOf(step, current, null, message, durationMs, 'failed'));
      // Not ours means a bug: let it surface as one instead of dressing it up as bad input.
      if (!failure) throw error;
      throw new KryonixError('KRX_TRANSFORM_FAILED', `Step ${index} (${step.type}) failed: ${message}`, {
        cause: error,
        extensions: {
          step: index,
          stepType: step.type,
          reason: failure.code,
          ...(errors ? { errors } : {}),
          steps: trace,
        },
      });
    }
    const durationMs = elapsedSince(started);
    const stopped = outcome.passed === false;
    trace.push({
      ...identify(step),
      output: outcome.output,
      ...(outcome.passed === undefined ? {} : { passed: outcome.passed }),
      durationMs,
    });
    await record?.(
      recordOf(step, current, outcome.output, null, durationMs, stopped ? 'filtered' : 'success'),
    );
    if (stopped) return { output: null, filtered: true, steps: trace };
    current = outcome.output;
  }
  return { output: (current ?? null) as JsonValue | string | null, filtered: false, steps: trace };
}

function identify(step: PipelineStep): Pick<StepTrace, 'type' | 'name'> {
  return step.name === undefined ? { type: step.type } : { type: step.type, name: step.name };
}

function recordOf(
  step: PipelineStep,
  input: unknown,
  output: unknown,
  error: string | null,
  processingTimeMs: number,
  status: StepRecord['status'],
): StepRecord {
  return {
    type: step.type,
    name: step.name ?? null,
    input,
    output,
    config: step,
    error,
    processingTimeMs,
    status,
  };
}

function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
