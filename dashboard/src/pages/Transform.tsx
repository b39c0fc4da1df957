import { type FormEvent, useState } from 'react';
import { PipelineResult, usePipeline } from '../components/Pipeline';
import { Card, Field, PageHeader } from '../components/ui';
import { t } from '../i18n';
import { useCanEdit } from '../role';

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
  const pipeline = usePipeline();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(input);
    } catch {
      parsedInput = input; // text, for a first `convert` step
    }
    void pipeline.run(steps, parsedInput);
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
          <button type="submit" className="primary" disabled={pipeline.busy || !canEdit}>
            {pipeline.busy ? t('transform.running') : t('transform.run')}
          </button>
        </div>
      </form>
      <PipelineResult pipeline={pipeline} />
    </>
  );
}
