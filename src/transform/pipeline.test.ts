import { describe, expect, it } from 'vitest';
import { compilePipeline, runPipeline, type StepRecord, validatePipeline } from './pipeline.js';
import type { PipelineStep } from './steps.js';

const xml =
  '<order><id>7</id><status>paid</status><total>120.5</total><email>ana@example.com</email></order>';

const steps: PipelineStep[] = [
  { type: 'convert', name: 'parse', from: 'application/xml', to: 'json' },
  {
    type: 'map',
    fields: [
      { from: 'order.id', to: 'id', transform: 'number' },
      { from: 'order.status', to: 'status' },
      { from: 'order.total', to: 'total', transform: 'number' },
      { from: 'order.email', to: 'email' },
    ],
  },
  {
    type: 'validate',
    schema: { type: 'object', required: ['id', 'email'], properties: { email: { format: 'email' } } },
  },
  { type: 'filter', where: { field: 'status', op: 'eq', value: 'paid' } },
  { type: 'template', template: { text: 'Order {{ id }} paid', amount: '{{ total }}' } },
];

describe('runPipeline', () => {
  it('runs every step in order and traces each', async () => {
    const result = await runPipeline(steps, xml);
    expect(result.output).toEqual({ text: 'Order 7 paid', amount: 120.5 });
    expect(result.filtered).toBe(false);
    expect(result.steps.map((step) => step.type)).toEqual([
      'convert',
      'map',
      'validate',
      'filter',
      'template',
    ]);
    expect(result.steps[0]).toMatchObject({ name: 'parse', output: { order: { id: '7' } } });
    expect(result.steps[3]).toMatchObject({ passed: true });
    for (const step of result.steps) expect(step.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('stops at a rejecting filter with output null and filtered true', async () => {
    const result = await runPipeline(steps, xml.replace('paid', 'refunded'));
    expect(result).toMatchObject({ output: null, filtered: true });
    expect(result.steps).toHaveLength(4);
    expect(result.steps[3]).toMatchObject({ type: 'filter', passed: false, output: null });
  });

  it('turns a failing step into KRX_TRANSFORM_FAILED naming it, with the trace so far', async () => {
    const failure = await runPipeline(steps, xml.replace('ana@example.com', 'nope')).catch((error) => error);
    expect(failure).toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      status: 422,
      message: expect.stringMatching(/^Step 2 \(validate\) failed/),
      extensions: {
        step: 2,
        stepType: 'validate',
        reason: 'KRX_VALIDATION_FAILED',
        errors: [{ path: '/email', message: 'must match format "email"' }],
      },
    });
    expect(failure.extensions.steps.map((step: { type: string }) => step.type)).toEqual([
      'convert',
      'map',
      'validate',
    ]);
    expect(failure.extensions.steps[2].error.code).toBe('KRX_VALIDATION_FAILED');
    expect(failure.toProblem()).toMatchObject({ status: 422, code: 'KRX_TRANSFORM_FAILED', step: 2 });
  });

  it('hands one record per step to the recorder', async () => {
    const records: StepRecord[] = [];
    const refunded = xml.replace('paid', 'refunded');
    await runPipeline(steps, refunded, { record: (record) => void records.push(record) });
    expect(records.map((record) => [record.type, record.name, record.status])).toEqual([
      ['convert', 'parse', 'success'],
      ['map', null, 'success'],
      ['validate', null, 'success'],
      ['filter', null, 'filtered'],
    ]);
    expect(records[0]).toMatchObject({ input: refunded, config: steps[0], error: null });
    expect(records[1].input).toEqual(records[0].output);

    const failed: StepRecord[] = [];
    await runPipeline(
      [{ type: 'map', expression: '$number("x")' }],
      {},
      { record: (record) => void failed.push(record) },
    ).catch(() => {});
    expect(failed).toEqual([
      expect.objectContaining({ status: 'failed', output: null, error: expect.stringMatching(/number/) }),
    ]);
  });

  it('passes the input through an empty pipeline and maps "nothing" to null', async () => {
    expect(await runPipeline([], { a: 1 })).toEqual({ output: { a: 1 }, filtered: false, steps: [] });
    expect((await runPipeline([{ type: 'map', expression: 'missing' }], {})).output).toBeNull();
  });

  it('applies limits given per run', async () => {
    await expect(
      runPipeline(
        [{ type: 'convert', from: 'json', to: 'yaml' }],
        { a: 'x'.repeat(50) },
        { limits: { maxInputBytes: 20 } },
      ),
    ).rejects.toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      extensions: { reason: 'KRX_PAYLOAD_TOO_LARGE' },
    });
  });
});

describe('validatePipeline', () => {
  it('accepts a valid pipeline', () => {
    expect(() => validatePipeline(steps)).not.toThrow();
    expect(compilePipeline(steps).steps).toBe(steps);
  });

  it.each<[unknown, string, string, number | undefined]>([
    ['not a list', 'KRX_VALIDATION_FAILED', '', undefined],
    [[{ type: 'sort' }], 'KRX_VALIDATION_FAILED', '/0/type', 0],
    [[{ type: 'map', expression: 'a', extra: 1 }], 'KRX_VALIDATION_FAILED', '/0/extra', 0],
    [[{ type: 'map' }], 'KRX_VALIDATION_FAILED', '/0', 0],
    [[{ type: 'map', expression: 'a', fields: [{ from: 'a', to: 'b' }] }], 'KRX_VALIDATION_FAILED', '/0', 0],
    [[{ type: 'convert', from: 'xml' }], 'KRX_VALIDATION_FAILED', '/0/to', 0],
    [[{ type: 'filter', where: { field: 'a', op: 'near' } }], 'KRX_VALIDATION_FAILED', '/0/where/op', 0],
    [
      [
        { type: 'map', expression: 'a' },
        { type: 'map', expression: '{' },
      ],
      'KRX_EXPRESSION_INVALID',
      '/1/expression',
      1,
    ],
    [[{ type: 'map', fields: [{ from: 'a..b', to: 'x' }] }], 'KRX_VALIDATION_FAILED', '/0/fields/0/from', 0],
    [[{ type: 'validate', schema: { type: 'nope' } }], 'KRX_SCHEMA_INVALID', '/0/schema/type', 0],
    [[{ type: 'template', template: { a: ['{{ ( }}'] } }], 'KRX_EXPRESSION_INVALID', '/0/template/a/0', 0],
    [
      [{ type: 'filter', where: { field: 'a', op: 'matches', value: '(a|b)*' } }],
      'KRX_VALIDATION_FAILED',
      '/0/where/value',
      0,
    ],
    [[{ type: 'convert', from: 'image/png', to: 'json' }], 'KRX_VALIDATION_FAILED', '/0/from', 0],
  ])('refuses %j with %s at %s', (pipeline, code, path, step) => {
    let failure: { code: string; extensions: Record<string, unknown> } | undefined;
    try {
      validatePipeline(pipeline);
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure?.code).toBe(code);
    expect(failure?.extensions.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    expect(failure?.extensions.step).toBe(step);
  });
});
