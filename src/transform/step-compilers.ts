import { KryonixError } from '../platform/errors.js';
import { evaluateCompiled } from './expression.js';
import { compileFilter } from './filter.js';
import { resolveFormat } from './formats/content-type.js';
import { convertFormat } from './formats/convert.js';
import { invalid, underPath } from './issues.js';
import type { TransformLimits } from './limits.js';
import { compileMapping } from './mapping.js';
import { checkAgainst, compileSchema } from './schema.js';
import type { PipelineStep, StepType } from './steps.js';
import { compileTemplate } from './template.js';

export interface StepOutcome {
  output: unknown;
  /** Set by filters: false stops the pipeline. */
  passed?: boolean;
}

export type RunStep = (input: unknown) => Promise<StepOutcome>;

type StepCompiler<T extends StepType> = (
  step: Extract<PipelineStep, { type: T }>,
  limits: TransformLimits,
) => RunStep;

/** Compile-time errors carry paths relative to the step (`/expression`); the pipeline adds `/<index>`. */
function at<T>(path: string, compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    throw underPath(error, path);
  }
}

const convert: StepCompiler<'convert'> = (step, limits) => {
  for (const side of ['from', 'to'] as const) {
    try {
      resolveFormat(step[side]);
    } catch (error) {
      throw invalid('KRX_VALIDATION_FAILED', [{ path: `/${side}`, message: (error as Error).message }]);
    }
  }
  return async (input) => ({ output: convertFormat(input, step, limits) });
};

const validate: StepCompiler<'validate'> = (step, limits) => {
  const validator = at('/schema', () => compileSchema(step.schema, limits));
  return async (input) => {
    const result = checkAgainst(validator, input, limits);
    if (!result.valid) {
      const first = result.errors[0];
      throw new KryonixError('KRX_VALIDATION_FAILED', `${first.path || 'The data'} ${first.message}`, {
        extensions: { errors: result.errors },
      });
    }
    return { output: input };
  };
};

const map: StepCompiler<'map'> = (step, limits) => {
  const expression = compileMapping(step, limits);
  // JSON has no "nothing": an expression that matched nothing yields null.
  return async (input) => ({ output: (await evaluateCompiled(expression, input)) ?? null });
};

const filter: StepCompiler<'filter'> = (step, limits) => {
  const passes = compileFilter(step, limits);
  return async (input) => {
    const passed = await passes(input);
    return { output: passed ? input : null, passed };
  };
};

const template: StepCompiler<'template'> = (step, limits) => {
  const render = at('/template', () => compileTemplate(step.template, limits));
  return async (input) => ({ output: await render(input) });
};

export const STEP_COMPILERS: { [T in StepType]: StepCompiler<T> } = {
  convert,
  validate,
  map,
  filter,
  template,
};
