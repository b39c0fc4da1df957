import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KryonixError } from '../platform/errors.js';
import { compileFilter, evaluateFilter } from './filter.js';
import { DEFAULT_LIMITS } from './limits.js';
import { WHERE_OPERATORS, type WhereCondition } from './where.js';

const order = {
  status: 'paid',
  total: 120,
  tags: ['vip', 'br'],
  customer: { email: 'ana@example.com', name: null },
  at: '2024-03-01',
};

describe('expression filters', () => {
  it('pass or reject on a boolean result', async () => {
    expect(await evaluateFilter({ expression: 'status = "paid" and total > 100' }, order)).toBe(true);
    expect(await evaluateFilter({ expression: '"gift" in tags' }, order)).toBe(false);
  });

  it.each([
    ['total', /not a number/],
    ['missing', /not nothing/],
    ['tags', /not an array/],
    ['customer.name', /not null/],
  ])('refuse a non-boolean result from %s', async (expression, message) => {
    await expect(evaluateFilter({ expression }, order)).rejects.toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      message: expect.stringMatching(message),
    });
  });

  it('point at the expression when it does not compile', () => {
    expect(() => compileFilter({ expression: 'a = ' })).toThrow(
      expect.objectContaining({
        code: 'KRX_EXPRESSION_INVALID',
        extensions: { errors: [expect.objectContaining({ path: '/expression' })] },
      }),
    );
  });
});

describe('where filters', () => {
  it.each<[WhereCondition, boolean]>([
    [{ field: 'status', op: 'eq', value: 'paid' }, true],
    [{ field: 'status', op: 'ne', value: 'paid' }, false],
    [{ field: 'total', op: 'gt', value: 120 }, false],
    [{ field: 'total', op: 'gte', value: 120 }, true],
    [{ field: 'total', op: 'lt', value: 200 }, true],
    [{ field: 'total', op: 'lte', value: 119 }, false],
    [{ field: 'at', op: 'gte', value: '2024-01-01' }, true],
    [{ field: 'total', op: 'gt', value: '100' }, false],
    [{ field: 'status', op: 'in', value: ['paid', 'shipped'] }, true],
    [{ field: 'tags', op: 'contains', value: 'vip' }, true],
    [{ field: 'customer.email', op: 'contains', value: '@example.' }, true],
    [{ field: 'customer.name', op: 'exists' }, true],
    [{ field: 'customer.phone', op: 'exists', value: false }, true],
    [{ field: 'customer.email', op: 'matches', value: '^[^@]+@example\\.com$' }, true],
    [{ field: 'tags[1]', op: 'eq', value: 'br' }, true],
    [{ field: 'nope.deeper', op: 'eq', value: 1 }, false],
  ])('%j → %s', async (where, expected) => {
    expect(await evaluateFilter({ where }, order)).toBe(expected);
  });

  it('nest with all and any', async () => {
    const where: WhereCondition = {
      all: [
        { field: 'status', op: 'eq', value: 'paid' },
        {
          any: [
            { field: 'total', op: 'gt', value: 1000 },
            { field: 'tags', op: 'contains', value: 'vip' },
          ],
        },
      ],
    };
    expect(await evaluateFilter({ where }, order)).toBe(true);
    expect(await evaluateFilter({ where }, { ...order, tags: [] })).toBe(false);
  });

  it.each<[unknown, string, RegExp]>([
    [{ field: 'a', op: 'like', value: 1 }, '/where/op', /Unknown operator/],
    [{ field: 'a..b', op: 'eq', value: 1 }, '/where/field', /empty segment/],
    [{ field: 'a', op: 'in', value: 'x' }, '/where/value', /list/],
    [{ field: 'a', op: 'exists', value: 'yes' }, '/where/value', /true or false/],
    [{ field: 'a', op: 'matches', value: '(a+)+' }, '/where/value', /repeated group/],
    [{ field: 'a', op: 'matches', value: '[' }, '/where/value', /Invalid regular expression/],
    [{ all: [{ field: 'a', op: 'eq' }, { any: [] }] }, '/where/all/1/any', /non-empty list/],
  ])('refuse %j at %s', (where, path, message) => {
    expect(() => compileFilter({ where: where as WhereCondition })).toThrow(
      expect.objectContaining({
        code: 'KRX_VALIDATION_FAILED',
        extensions: { errors: [{ path, message: expect.stringMatching(message) }] },
      }),
    );
  });

  it('refuse to run a regex over an over-long value', async () => {
    const limits = { ...DEFAULT_LIMITS, maxRegexInputLength: 8 };
    const spec = { where: { field: 's', op: 'matches', value: 'x' } } as const;
    await expect(evaluateFilter(spec, { s: 'a'.repeat(9) }, limits)).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
  });
});

describe('a filter is always a boolean or an error', () => {
  const isBooleanOrKryonixError = async (run: () => Promise<boolean>) => {
    try {
      expect(typeof (await run())).toBe('boolean');
    } catch (error) {
      expect(error).toBeInstanceOf(KryonixError);
    }
  };

  it('for expressions', async () => {
    const expressions = [
      'a',
      'a = 1',
      '$exists(a.b)',
      'a > b',
      '$boolean(a)',
      'a in b',
      '$count(a) > 1',
      'a.b[0] = "x"',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...expressions), fc.jsonValue(), (expression, data) =>
        isBooleanOrKryonixError(() => evaluateFilter({ expression }, data)),
      ),
      { numRuns: 300 },
    );
  });

  it('for where conditions', async () => {
    const clause = fc.record({
      field: fc.constantFrom('a', 'a.b', 'a[0]', 'b'),
      op: fc.constantFrom(...WHERE_OPERATORS),
      value: fc.oneof(fc.jsonValue(), fc.constantFrom('^a', 'b+', '(x+)+')),
    });
    const condition = fc.oneof(clause, fc.record({ all: fc.array(clause, { minLength: 1, maxLength: 3 }) }));
    await fc.assert(
      fc.asyncProperty(condition, fc.jsonValue(), (where, data) =>
        isBooleanOrKryonixError(() => evaluateFilter({ where: where as WhereCondition }, data)),
      ),
      { numRuns: 500 },
    );
  });
});
