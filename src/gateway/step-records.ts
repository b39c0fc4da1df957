/**
 * Which pipeline step runs become data_transformations rows (API_TRANSFORM_RECORD): the decision is
 * per run — a call or a webhook — so a kept run is kept whole: a failure with the steps that led to
 * it, a sampled success with all of its steps.
 */
import type { Config } from '../config.js';
import type { StepRecord, StepRecorder } from '../transform/index.js';
import { bodyForRecord } from './body.js';
import type { TransformationRecord } from './execution-log.js';
import { RECORD_BODY_BYTES } from './record.js';

export interface StepRecording {
  /** Hand to `CompiledPipeline.run`. */
  readonly record: StepRecorder;
  /** Runs one step that is not part of a pipeline (a call's own inputMapping), recording it. */
  step<T>(
    type: StepRecord['type'],
    name: string,
    config: unknown,
    input: unknown,
    run: () => Promise<T>,
  ): Promise<T>;
  /** The rows to keep, once the run is over. */
  rows(): TransformationRecord[];
}

export type StepRecordingFactory = (run: {
  tenantId: string;
  executionId: string | null;
  scrub?: (text: string) => string;
}) => StepRecording;

export function stepRecording(policy: Config['transformRecord']): StepRecordingFactory {
  return ({ tenantId, executionId, scrub }) => {
    const sampled = policy.successRate > 0 && Math.random() < policy.successRate;
    // Steps as they ran; turned into rows (bodies serialised and cut) only if the run is kept, so the
    // common case — a successful run under the default policy — serialises nothing.
    const seen: Array<{ step: StepRecord; at: Date }> = [];
    let failed = false;
    const record: StepRecorder = (step) => {
      if (step.status === 'failed') failed = true;
      seen.push({ step, at: new Date() });
    };
    return {
      record,
      async step(type, name, config, input, run) {
        const started = performance.now();
        const finish = (output: unknown, error: string | null) =>
          record({
            type,
            name,
            input,
            output,
            config: config as StepRecord['config'],
            error,
            processingTimeMs: performance.now() - started,
            status: error === null ? 'success' : 'failed',
          });
        try {
          const output = await run();
          finish(output, null);
          return output;
        } catch (error) {
          finish(null, (error as Error).message ?? String(error));
          throw error;
        }
      },
      rows: () =>
        (failed && policy.failures) || sampled
          ? seen.map(({ step, at }) => ({
              tenantId,
              executionId,
              type: step.type,
              name: step.name,
              input: bodyForRecord(step.input, RECORD_BODY_BYTES),
              output: bodyForRecord(step.output, RECORD_BODY_BYTES),
              config: step.config,
              error: step.error,
              processingTimeMs: step.processingTimeMs,
              status: step.status,
              createdAt: at,
              scrub,
            }))
          : [],
    };
  };
}
