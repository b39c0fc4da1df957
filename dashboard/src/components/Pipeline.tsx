/**
 * Running a data pipeline through POST /api/integrations/transform/test and showing what each step did:
 * the transform playground and the API tester (over a call's response) share it.
 */
import { useState } from 'react';
import { ADMIN, ApiError, api } from '../api';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { Badge, Card, ErrorBox, formatMs, Json } from './ui';

interface StepTrace {
  type: string;
  name?: string;
  output?: unknown;
  passed?: boolean;
  error?: { code?: string; message?: string; errors?: { path: string; message: string }[] };
  durationMs: number;
}

interface TestAnswer {
  output: unknown;
  filtered: boolean;
  steps: StepTrace[];
}

/** Parses the steps (a JSON list) and runs them over `input`; a failing step's trace is kept. */
export function usePipeline() {
  const [answer, setAnswer] = useState<TestAnswer>();
  const [failedTrace, setFailedTrace] = useState<StepTrace[]>();
  const action = useAction(async (stepsText: string, input: unknown) => {
    setAnswer(undefined);
    setFailedTrace(undefined);
    let steps: unknown;
    try {
      steps = JSON.parse(stepsText);
    } catch (error) {
      throw new Error(t('transform.stepsInvalid', { problem: (error as Error).message }));
    }
    try {
      setAnswer(await api.post<TestAnswer>(`${ADMIN}/transform/test`, { steps, input }));
    } catch (error) {
      const partial = error instanceof ApiError ? error.problem.steps : undefined;
      if (Array.isArray(partial)) setFailedTrace(partial as StepTrace[]);
      throw error;
    }
  });
  return { ...action, answer, failedTrace };
}

/** The output and per-step trace of a run, or the error and the trace up to the failing step. */
export function PipelineResult({ pipeline }: { pipeline: ReturnType<typeof usePipeline> }) {
  const { answer, failedTrace, error } = pipeline;
  return (
    <>
      <ErrorBox error={error} />
      {answer ? (
        <Card title={t('transform.output')}>
          {answer.filtered ? (
            <p className="notice" role="status">
              {t('transform.filtered')}
            </p>
          ) : null}
          <div data-testid="transform-output">
            <Json value={answer.output} label={t('transform.pipelineOutput')} />
          </div>
          <Trace steps={answer.steps} />
        </Card>
      ) : null}
      {failedTrace ? <Trace steps={failedTrace} /> : null}
    </>
  );
}

function Trace({ steps }: { steps: StepTrace[] }) {
  return (
    <>
      <h3>{t('transform.steps')}</h3>
      <ol className="trace">
        {steps.map((step, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: steps have no identity beyond their position
          <li key={index}>
            <div className="trace-head">
              <code>{step.type}</code> {step.name ? <span>{step.name}</span> : null}
              {step.passed !== undefined ? (
                <Badge
                  value={step.passed ? 'success' : 'filtered'}
                  label={step.passed ? t('transform.passed') : t('transform.stopped')}
                />
              ) : null}
              {step.error ? <Badge value="error" /> : null}
              <span className="muted">{formatMs(step.durationMs)}</span>
            </div>
            {step.error ? (
              <ErrorBox
                error={
                  new ApiError(
                    422,
                    step.error.code ?? '',
                    step.error.message ?? t('transform.failed'),
                    step.error.errors,
                  )
                }
              />
            ) : (
              <details>
                <summary>{t('transform.output')}</summary>
                <Json value={step.output} />
              </details>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}
