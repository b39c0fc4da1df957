import { type FormEvent, useState } from 'react';
import { ADMIN, ApiError, api } from '../api';
import { Badge, Card, ErrorBox, Field, formatMs, Json, PageHeader } from '../components/ui';
import { useAction } from '../hooks';
import { t } from '../i18n';
import { useCanEdit } from '../role';

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

const EXAMPLES: Record<string, { steps: unknown[]; input: unknown }> = {
  'Map and filter an order': {
    steps: [
      { type: 'filter', expression: "status = 'paid'" },
      {
        type: 'map',
        expression: '{ "id": id, "email": $lowercase(customer.email), "total": $sum(items.(price * qty)) }',
      },
    ],
    input: {
      id: 'ord_42',
      status: 'paid',
      customer: { email: 'Ana@Example.COM' },
      items: [
        { sku: 'A', price: 10, qty: 2 },
        { sku: 'B', price: 5.5, qty: 1 },
      ],
    },
  },
  'Validate, then template': {
    steps: [
      {
        type: 'validate',
        schema: { type: 'object', required: ['user'], properties: { user: { type: 'string' } } },
      },
      { type: 'template', template: { text: 'Hello {{ user }}!', at: '{{ $now() }}' } },
    ],
    input: { user: 'Ana' },
  },
  'CSV to JSON': {
    steps: [{ type: 'convert', from: 'csv', to: 'json', options: { parseValues: true } }],
    input: 'sku,qty\nA,2\nB,1\n',
  },
};

const FIRST = Object.keys(EXAMPLES)[0];

/** Try a pipeline over an input before saving it on a connection, endpoint or subscription. */
export function TransformPage() {
  const canEdit = useCanEdit();
  const [steps, setSteps] = useState(JSON.stringify(EXAMPLES[FIRST].steps, null, 2));
  const [input, setInput] = useState(JSON.stringify(EXAMPLES[FIRST].input, null, 2));
  const [answer, setAnswer] = useState<TestAnswer>();
  const [failedTrace, setFailedTrace] = useState<StepTrace[]>();
  const [parseError, setParseError] = useState<string>();

  const run = useAction(async (parsedSteps: unknown, parsedInput: unknown) => {
    setAnswer(undefined);
    setFailedTrace(undefined);
    try {
      setAnswer(
        await api.post<TestAnswer>(`${ADMIN}/transform/test`, { steps: parsedSteps, input: parsedInput }),
      );
    } catch (error) {
      const partial = error instanceof ApiError ? error.problem.steps : undefined;
      if (Array.isArray(partial)) setFailedTrace(partial as StepTrace[]);
      throw error;
    }
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParseError(undefined);
    let parsedSteps: unknown;
    let parsedInput: unknown;
    try {
      parsedSteps = JSON.parse(steps);
    } catch (error) {
      setParseError(`Steps: ${(error as Error).message}`);
      return;
    }
    try {
      parsedInput = JSON.parse(input);
    } catch {
      parsedInput = input; // text, for a first `convert` step
    }
    void run.run(parsedSteps, parsedInput);
  };

  return (
    <>
      <PageHeader title={t('transform.title')}>{t('transform.intro')}</PageHeader>
      <form onSubmit={submit} aria-label={t('transform.form')}>
        <div className="grid two">
          <Card
            title={t('transform.steps')}
            actions={
              <select
                aria-label={t('transform.loadExample')}
                value=""
                onChange={(event) => {
                  const example = EXAMPLES[event.target.value];
                  if (!example) return;
                  setSteps(JSON.stringify(example.steps, null, 2));
                  setInput(
                    typeof example.input === 'string'
                      ? example.input
                      : JSON.stringify(example.input, null, 2),
                  );
                }}
              >
                <option value="">{t('transform.examples')}</option>
                {Object.keys(EXAMPLES).map((name) => (
                  <option key={name}>{name}</option>
                ))}
              </select>
            }
          >
            <Field label={t('transform.stepsField')} htmlFor="tf-steps">
              <textarea
                id="tf-steps"
                className="mono"
                rows={16}
                spellCheck={false}
                value={steps}
                onChange={(event) => setSteps(event.target.value)}
              />
            </Field>
          </Card>
          <Card title={t('transform.input')}>
            <Field label={t('transform.inputField')} htmlFor="tf-input">
              <textarea
                id="tf-input"
                className="mono"
                rows={16}
                spellCheck={false}
                value={input}
                onChange={(event) => setInput(event.target.value)}
              />
            </Field>
          </Card>
        </div>
        <div className="form-actions left">
          <button type="submit" className="primary" disabled={run.busy || !canEdit}>
            {run.busy ? t('transform.running') : t('transform.run')}
          </button>
        </div>
      </form>
      {parseError ? <ErrorBox error={new Error(parseError)} /> : null}
      <ErrorBox error={run.error} />
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
