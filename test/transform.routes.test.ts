/**
 * The try-it route through the whole server (auth, body parsing, the problem handler), with the
 * hostile expressions a tenant could send it: each ends in a problem document and the server keeps
 * answering.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';

let t: TestPlatform;

beforeAll(async () => {
  t = await startTestPlatform('pglite');
});

afterAll(() => t.close());

async function post(body: unknown) {
  const response = await call(t.baseUrl, 'POST', '/api/integrations/transform/test', {
    key: t.adminKey,
    body,
  });
  return {
    statusCode: response.status,
    headers: { 'content-type': response.headers.get('content-type') ?? '' },
    json: () => response.body,
  };
}

describe('POST /api/integrations/transform/test', () => {
  it('runs the pipeline and answers the output with a trace', async () => {
    const response = await post({
      steps: [
        { type: 'convert', from: 'csv', to: 'json' },
        { type: 'map', name: 'shape', expression: '{"names": name, "count": $count($)}' },
        { type: 'filter', where: { field: 'count', op: 'gt', value: 1 } },
        {
          type: 'template',
          template: { text: '{{ count }} people: {{ $join(names, ", ") }}', names: '{{ names }}' },
        },
      ],
      input: 'name,age\nAna,30\nBia,41\n',
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.output).toEqual({ text: '2 people: Ana, Bia', names: ['Ana', 'Bia'] });
    expect(body.filtered).toBe(false);
    expect(body.steps.map((step: { type: string }) => step.type)).toEqual([
      'convert',
      'map',
      'filter',
      'template',
    ]);
    expect(body.steps[1]).toMatchObject({ name: 'shape', output: { names: ['Ana', 'Bia'], count: 2 } });
    expect(body.steps[2]).toMatchObject({ passed: true });
    expect(typeof body.steps[0].durationMs).toBe('number');
  });

  it('answers filtered: true and output null when a filter rejects', async () => {
    const response = await post({
      steps: [{ type: 'filter', expression: 'amount > 100' }],
      input: { amount: 5 },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      output: null,
      filtered: true,
      steps: [{ type: 'filter', passed: false }],
    });
  });

  it('answers a failing step with a 422 problem document naming it', async () => {
    const response = await post({
      steps: [
        { type: 'map', expression: '{"email": e}' },
        {
          type: 'validate',
          schema: { type: 'object', properties: { email: { type: 'string', format: 'email' } } },
        },
      ],
      input: { e: 'not-an-email' },
    });
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      status: 422,
      step: 1,
      stepType: 'validate',
      errors: [{ path: '/email', message: 'must match format "email"' }],
      steps: [{ type: 'map' }, { type: 'validate', error: { code: 'KRX_VALIDATION_FAILED' } }],
    });
  });

  it('answers an expression that does not compile with 400 naming the step and field', async () => {
    const response = await post({ steps: [{ type: 'map', expression: '{"a": ' }], input: {} });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      code: 'KRX_EXPRESSION_INVALID',
      step: 0,
      errors: [expect.objectContaining({ path: '/0/expression' })],
    });
  });

  it('answers a runaway expression with a 422, not a hang', async () => {
    const response = await post({
      steps: [{ type: 'map', expression: '($f := function($x){$f($x)}; $f(1))' }],
      input: {},
    });
    expect(response.statusCode).toBe(422);
    expect(response.json()).toMatchObject({ code: 'KRX_TRANSFORM_FAILED', reason: 'KRX_LIMIT_EXCEEDED' });
  });

  it.each([
    [{ steps: [], input: 1, extra: true }],
    [{ steps: [{ type: 'sort' }], input: 1 }],
    [{ steps: [{ type: 'map', expression: 'a', fields: [{ from: 'a', to: 'b' }] }], input: 1 }],
    [{ steps: [{ type: 'filter', where: { field: 'a', op: 'eq', value: 1, extra: 1 } }], input: 1 }],
    [{ input: 1 }],
  ])('rejects a malformed body %j with 400', async (body) => {
    const response = await post(body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'KRX_VALIDATION_FAILED' });
  });
  it('stops expressions that would build huge values, and keeps serving', async () => {
    for (const expression of [
      '$length($pad("", 100000000, "x"))',
      '( $d := function($t, $n){ $n = 0 ? $t : $d($t & $t, $n - 1) }; $length($d("xxxxxxxxxx", 40)) )',
      '$length($join([1..20000].$pad("", 1000, "y")))',
      '$length($replace($pad("", 5000000, "x"), "x", "yyy"))',
      '$count($split($pad("", 10000000, "x") & $pad("", 10000000, "x"), ""))',
    ]) {
      const response = await post({ steps: [{ type: 'map', expression }], input: {} });
      expect(response.statusCode, expression).toBe(422);
      expect(response.json()).toMatchObject({
        code: 'KRX_TRANSFORM_FAILED',
        reason: 'KRX_LIMIT_EXCEEDED',
        detail: expect.stringMatching(/exceeds the limit of 10485760/),
      });
    }
    const after = await post({ steps: [{ type: 'map', expression: '{"ok": true}' }], input: {} });
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ output: { ok: true } });
  });
});
