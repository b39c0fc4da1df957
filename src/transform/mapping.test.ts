import { describe, expect, it } from 'vitest';
import { fieldsToExpression } from './field-mapping.js';
import { evaluateMapping } from './mapping.js';

describe('evaluateMapping', () => {
  it('runs a JSONata expression; no result is null', async () => {
    expect(
      await evaluateMapping(
        { expression: '{"total": $sum(items.price)}' },
        { items: [{ price: 2 }, { price: 3 }] },
      ),
    ).toEqual({
      total: 5,
    });
    expect(await evaluateMapping({ expression: 'missing' }, {})).toBeNull();
  });

  it('copies declarative fields from paths to nested outputs', async () => {
    const output = await evaluateMapping(
      {
        fields: [
          { from: 'a.b[0].c', to: 'x.y' },
          { from: 'a.b[1].c', to: 'x.z' },
          { from: '["odd.key"]', to: 'odd' },
          { from: 'list', to: 'list' },
        ],
      },
      { a: { b: [{ c: 1 }, { c: 'two' }] }, 'odd.key': true, list: [7] },
    );
    expect(output).toEqual({ x: { y: 1, z: 'two' }, odd: true, list: [7] });
  });

  it('follows JSONata path semantics: a path through a list collects from every item', async () => {
    const data = { items: [{ sku: 'a' }, { sku: 'b' }], one: 'x' };
    expect(
      await evaluateMapping(
        {
          fields: [
            { from: 'items.sku', to: 'skus' },
            { from: 'one[0]', to: 'one' },
          ],
        },
        data,
      ),
    ).toEqual({
      skus: ['a', 'b'],
      one: 'x',
    });
  });

  it('applies defaults only to absent fields', async () => {
    const fields = [
      { from: 'a', to: 'a', default: 'none' },
      { from: 'b', to: 'b', default: { nested: [1] } },
    ];
    expect(await evaluateMapping({ fields }, { a: null })).toEqual({ a: null, b: { nested: [1] } });
  });

  it.each([
    ['uppercase', 'ação', 'AÇÃO'],
    ['lowercase', 'ABC', 'abc'],
    ['trim', '  x  ', 'x'],
    ['number', '12.5', 12.5],
    ['boolean', 'off', false],
    ['boolean', 'yes', true],
    ['string', 42, '42'],
    ['date', '2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['json', '{"k":[1]}', { k: [1] }],
    ['base64', 'hi', 'aGk='],
  ] as const)('transform %s turns %j into %j', async (transform, value, expected) => {
    expect(await evaluateMapping({ fields: [{ from: 'v', to: 'out', transform }] }, { v: value })).toEqual({
      out: expected,
    });
  });

  it('passes absent values through transforms and then to the default', async () => {
    expect(
      await evaluateMapping(
        {
          fields: [
            { from: 'v', to: 'a', transform: 'uppercase' },
            { from: 'v', to: 'b', transform: 'number', default: 0 },
          ],
        },
        {},
      ),
    ).toEqual({ b: 0 });
  });

  it('reports a failing transform', async () => {
    await expect(
      evaluateMapping({ fields: [{ from: 'v', to: 'n', transform: 'number' }] }, { v: 'abc' }),
    ).rejects.toMatchObject({ code: 'KRX_TRANSFORM_FAILED' });
  });
});

describe('fieldsToExpression', () => {
  it('escapes every key so names cannot inject JSONata', () => {
    const text = fieldsToExpression([{ from: 'a b.c-d["$x"]', to: 'out "quoted"' }]);
    expect(text).toBe('{"out \\"quoted\\"": `a b`.`c-d`.`$x`}');
  });

  it.each([
    [[{ from: 'a..b', to: 'x' }], '/0/from', /empty segment/],
    [[{ from: 'a', to: 'x[0]' }], '/0/to', /array index/],
    [
      [
        { from: 'a', to: 'x' },
        { from: 'b', to: 'x' },
      ],
      '/1/to',
      /more than once/,
    ],
    [
      [
        { from: 'a', to: 'x' },
        { from: 'b', to: 'x.y' },
      ],
      '/1/to',
      /inside a field/,
    ],
    [[{ from: 'a`b', to: 'x' }], '/0/from', /not supported/],
    [[{ from: 'a', to: 'x', transform: 'reverse' }], '/0/transform', /Unknown transform/],
  ])('refuses %j at %s', (fields, path, message) => {
    expect(() => fieldsToExpression(fields as never)).toThrow(
      expect.objectContaining({
        code: 'KRX_VALIDATION_FAILED',
        extensions: { errors: [{ path, message: expect.stringMatching(message) }] },
      }),
    );
  });

  it('keeps `__proto__` an ordinary output key', async () => {
    expect(await evaluateMapping({ fields: [{ from: 'a', to: '__proto__.polluted' }] }, { a: 1 })).toEqual(
      JSON.parse('{"__proto__":{"polluted":1}}'),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
