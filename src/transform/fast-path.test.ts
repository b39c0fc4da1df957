import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { compileExpression, evaluateCompiled, evaluateExpression } from './expression.js';
import { planFastPath } from './fast-path.js';
import { fieldsToExpression } from './field-mapping.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';

const plan = (text: string, limits: TransformLimits = DEFAULT_LIMITS) =>
  planFastPath(jsonata(text).ast(), limits);

describe('the fast path decision', () => {
  it.each([
    'a.b.c',
    'items[0].sku',
    'items[price > 10].name',
    'items[]',
    '$[0].a',
    '$$.a & $.b',
    '{"a": [1, "x", true, null], "b": {"c": -a}}',
    'a.b ? $uppercase(a.b) : "none"',
    'a ?: b',
    'a ?? b',
    '($x := a; $y := $x.b; {"y": $y})',
    'a and b or not_a_function',
    '"x" in tags',
    '$sum(items.(price * qty))',
    '$join(items.name, ", ")',
    '$substring(name, 0, 3)',
    '$string()',
    '$formatDate(at)',
    '$parseDate(at)',
    '$uuid()',
  ])('takes %s', (text) => {
    expect(plan(text)).toMatchObject({ supported: true });
  });

  it('takes every declarative field mapping', () => {
    const text = fieldsToExpression([
      { from: 'a.b[0].c', to: 'x.y' },
      { from: '[0].name', to: 'first', transform: 'trim' },
      { from: '["odd.key"]', to: 'odd', default: { d: [1] } },
      ...(
        ['uppercase', 'lowercase', 'trim', 'number', 'boolean', 'string', 'date', 'json', 'base64'] as const
      ).map((transform) => ({ from: 'v', to: `t.${transform}`, transform, default: null })),
    ]);
    expect(plan(text)).toMatchObject({ supported: true });
  });

  it.each([
    ['a.*', /wildcard/],
    ['**.a', /descendant/],
    ['a.b.%.c', /parent|seekingParent|tuple/],
    ['items@$i.name', /focus|tuple/],
    ['items#$i.name', /index|tuple/],
    ['items{name: price}', /group/],
    ['items^(price)', /order-by|sort/],
    ['[1..3]', /operator \.\./],
    ['$match(a, /x/)', /function \$match/],
    ['$map(items, function($v){ $v })', /function \$map|lambda/],
    ['function($x){ $x }', /lambda/],
    ['a ~> $uppercase', /apply/],
    ['$ ~> |a|{"b": 1}|', /apply|transform/],
    ['$now()', /function \$now/],
    ['$random()', /function \$random/],
    ['$unknownFunction(a)', /function \$unknownFunction/],
    ['$x', /variable \$x/],
    ['$uppercase', /variable \$uppercase/],
    ['($string := 1; $string(2))', /binding \$string/],
    ['($f := $uppercase; $f(a))', /variable \$uppercase/],
    ['$x := 1', /":=" outside a block statement/],
    ['[($x := 1), $x]', /":=" outside a block statement|variable \$x/],
    ['$formatDate(at, "[Y0001]")', /\$formatDate with 2 arguments/],
    ['$parseDate(at, "[D01]/[M01]/[Y0001]")', /\$parseDate with 2 arguments/],
    ['$exists()', /\$exists with 0 arguments/],
    ['$lookup(a, "b")', /function \$lookup/],
  ])('leaves %s to JSONata', (text, reason) => {
    const decision = plan(text);
    expect(decision.supported).toBe(false);
    if (!decision.supported) expect(decision.reason).toMatch(reason);
  });

  it('leaves expressions nested deeper than the evaluation depth bound to JSONata (which reports it)', async () => {
    const limits = { ...DEFAULT_LIMITS, expressionMaxDepth: 20 };
    const deep = `${'('.repeat(30)}a${')'.repeat(30)}`;
    expect(plan(deep, limits)).toMatchObject({ supported: false, reason: expect.stringMatching(/nesting/) });
    expect(plan(deep)).toMatchObject({ supported: true });
    await expect(evaluateExpression(deep, { a: 1 }, { limits })).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
      message: expect.stringMatching(/Stack overflow/),
    });
  });

  it('records the decision on the compiled expression', () => {
    expect(compileExpression('a.b').fast).toBeTypeOf('function');
    expect(compileExpression('a.*').fast).toBeUndefined();
    expect(compileExpression('a.*').fallbackReason).toBe('wildcard expressions');
    expect(compileExpression('a.b', { fastPath: false }).fast).toBeUndefined();
    expect(compileExpression('a.b', { fastPath: false })).not.toBe(compileExpression('a.b'));
  });
});

describe('the fast path at run time', () => {
  const answers = (text: string, data: unknown) => {
    const fast = compileExpression(text).fast!;
    try {
      return { answered: true, value: fast(data) };
    } catch {
      return { answered: false };
    }
  };

  it('answers JSONata sequence semantics itself', () => {
    const data = {
      items: [
        { sku: 'a', tags: ['x'] },
        { sku: 'b', tags: ['y', 'z'] },
      ],
      one: [{ sku: 'c' }],
    };
    expect(answers('items.sku', data)).toEqual({ answered: true, value: ['a', 'b'] });
    expect(answers('one.sku', data)).toEqual({ answered: true, value: 'c' }); // singleton collapses
    expect(answers('one.sku[]', data)).toEqual({ answered: true, value: ['c'] });
    expect(answers('items.tags', data)).toEqual({ answered: true, value: ['x', 'y', 'z'] }); // flattened
    expect(answers('items[1].tags', data)).toEqual({ answered: true, value: ['y', 'z'] });
    expect(answers('{"m": missing, "s": one.sku}', data)).toEqual({ answered: true, value: { s: 'c' } });
    expect(answers('"n" & 1.5 & true & null & items[0].tags', data)).toEqual({
      answered: true,
      value: 'n1.5truenull["x"]',
    });
    expect(answers('[items.sku, [1, 2]]', data)).toEqual({ answered: true, value: ['a', 'b', [1, 2]] });
  });

  it('defers every error to JSONata, which reports it as before', async () => {
    for (const [text, data, code] of [
      ['$number(a)', { a: 'abc' }, 'D3030'],
      ['a + 1', { a: 'x' }, 'T2001'],
      ['a < b', { a: 1, b: 'x' }, 'T2009'],
      ['$uppercase(a)', { a: 1 }, 'T0410'],
      ['$join(a)', { a: [1, 2] }, 'T0412'],
      ['{a: 1}', { a: 5 }, 'T1003'],
      ['$string(1/0)', {}, 'D3001'],
    ] as const) {
      expect(answers(text, data), text).toEqual({ answered: false });
      await expect(evaluateCompiled(compileExpression(text), data), text).rejects.toMatchObject({
        code: 'KRX_TRANSFORM_FAILED',
        extensions: { expressionErrorCode: code },
      });
    }
  });

  it('defers to JSONata when a sequence would pass its bound, so the bound error is JSONata’s', async () => {
    const limits = { ...DEFAULT_LIMITS, expressionMaxSequence: 5 };
    const data = { items: Array.from({ length: 10 }, (_, i) => ({ n: i })) };
    const compiled = compileExpression('items.n', { limits });
    expect(() => compiled.fast!(data)).toThrow();
    await expect(evaluateCompiled(compiled, data)).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
      message: expect.stringMatching(/maximum sequence length of 5/),
    });
    expect(await evaluateCompiled(compiled, { items: data.items.slice(0, 5) })).toEqual([0, 1, 2, 3, 4]);
  });

  it('stops at the time bound itself, with JSONata’s timeout error, without a second budget', async () => {
    const limits = { ...DEFAULT_LIMITS, expressionTimeoutMs: 50 };
    const items = Array.from({ length: 3_000 }, (_, i) => ({ n: i }));
    const compiled = compileExpression('$sum(items.($count($$.items.n)))', { limits });
    expect(compiled.fast).toBeDefined();
    const started = performance.now();
    await expect(evaluateCompiled(compiled, { items })).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
      message: 'Expression stopped: Evaluation timeout after 50 milliseconds. Check for infinite loop',
    });
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('returns results without sequence markers and with JSONata’s null-prototype objects', async () => {
    const result = (await evaluateCompiled(compileExpression('{"t": items.tags}'), {
      items: [{ tags: ['a'] }, { tags: ['b'] }],
    })) as { t: string[] };
    expect(Object.getPrototypeOf(result)).toBeNull();
    expect(Object.keys(result.t)).toEqual(['0', '1']);
  });
});
