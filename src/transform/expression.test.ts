import { describe, expect, it } from 'vitest';
import { compileExpression, evaluateExpression } from './expression.js';
import { DEFAULT_LIMITS } from './limits.js';

describe('compileExpression', () => {
  it('compiles each text once and reuses it', () => {
    expect(compileExpression('a.b + 1')).toBe(compileExpression('a.b + 1'));
    expect(compileExpression('a.b + 1', { cache: false })).not.toBe(compileExpression('a.b + 1'));
  });

  it('keys the cache on the limits baked into the expression', () => {
    const tight = { ...DEFAULT_LIMITS, expressionTimeoutMs: 5 };
    expect(compileExpression('a', { limits: tight })).not.toBe(compileExpression('a'));
  });

  it('refuses syntax errors with KRX_EXPRESSION_INVALID and the position', () => {
    expect(() => compileExpression('{"a": ')).toThrow(
      expect.objectContaining({ code: 'KRX_EXPRESSION_INVALID' }),
    );
    expect(() => compileExpression('a +')).toThrow(/at character/);
  });

  it('refuses backtracking-prone regex literals when compiled, not when run', () => {
    expect(() => compileExpression('$match(s, /(a+)+$/)')).toThrow(
      expect.objectContaining({
        code: 'KRX_EXPRESSION_INVALID',
        message: expect.stringMatching(/repeated group/),
      }),
    );
  });
});

describe('evaluateExpression', () => {
  it('evaluates JSONata over the data', async () => {
    expect(
      await evaluateExpression('$sum(items.(price * qty))', {
        items: [
          { price: 2, qty: 3 },
          { price: 1, qty: 1 },
        ],
      }),
    ).toBe(7);
    expect(await evaluateExpression('missing', {})).toBeUndefined();
  });

  it('reports runtime failures as KRX_TRANSFORM_FAILED with the JSONata code', async () => {
    await expect(evaluateExpression('$number("abc")', {})).rejects.toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      extensions: { expressionErrorCode: 'D3030' },
    });
  });

  it('refuses to return a function', async () => {
    await expect(evaluateExpression('function($x){$x}', {})).rejects.toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
    });
  });

  it('bounds non-tail recursion by depth', async () => {
    await expect(evaluateExpression('($f := function($x){ 1 + $f($x) }; $f(1))', {})).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
      message: expect.stringMatching(/Stack overflow/),
    });
  });

  it('bounds tail recursion and loops by time', async () => {
    const limits = { ...DEFAULT_LIMITS, expressionTimeoutMs: 100 };
    await expect(
      evaluateExpression('($f := function($x){ $f($x) }; $f(1))', {}, { limits }),
    ).rejects.toMatchObject({ code: 'KRX_LIMIT_EXCEEDED', message: expect.stringMatching(/timeout/) });
  });

  it('bounds ranges before allocating them', async () => {
    await expect(evaluateExpression('[1..100000000]', {})).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
    await expect(evaluateExpression('$count([1..1000000])', {})).rejects.toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
      message: expect.stringMatching(/maximum sequence length/),
    });
    expect(await evaluateExpression('$count([1..1000])', {})).toBe(1000);
  });

  it('bounds the strings a regex runs against', async () => {
    const limits = { ...DEFAULT_LIMITS, maxRegexInputLength: 5 };
    await expect(evaluateExpression('$contains(s, /b/)', { s: 'aaaaaab' }, { limits })).rejects.toMatchObject(
      {
        code: 'KRX_LIMIT_EXCEEDED',
      },
    );
    expect(await evaluateExpression('$contains(s, /b/)', { s: 'ab' }, { limits })).toBe(true);
  });
});

describe('extra functions', () => {
  it('$uuid() returns a fresh v4 UUID', async () => {
    const [a, b] = (await evaluateExpression('[$uuid(), $uuid()]', {})) as string[];
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
  });

  it('$base64encode/$base64decode use UTF-8', async () => {
    expect(await evaluateExpression('$base64encode("日本é")', {})).toBe(
      Buffer.from('日本é').toString('base64'),
    );
    expect(await evaluateExpression('$base64decode($base64encode(s))', { s: 'ação 日本 🙂' })).toBe(
      'ação 日本 🙂',
    );
  });

  it('$parseDate reads ISO, RFC 2822, epoch millis and pictures into ISO UTC', async () => {
    const parse = (args: string) => evaluateExpression(`$parseDate(${args})`, {});
    expect(await parse('"2024-03-01"')).toBe('2024-03-01T00:00:00.000Z');
    expect(await parse('"2024-03-01T10:20:30"')).toBe('2024-03-01T10:20:30.000Z');
    expect(await parse('"2024-03-01T10:20:30-03:00"')).toBe('2024-03-01T13:20:30.000Z');
    expect(await parse('"Tue, 15 Nov 1994 08:12:31 GMT"')).toBe('1994-11-15T08:12:31.000Z');
    expect(await parse('0')).toBe('1970-01-01T00:00:00.000Z');
    expect(await parse('"15/11/1994", "[D01]/[M01]/[Y0001]"')).toBe('1994-11-15T00:00:00.000Z');
    await expect(parse('"next tuesday"')).rejects.toMatchObject({ code: 'KRX_TRANSFORM_FAILED' });
    expect(await evaluateExpression('$parseDate(missing)', {})).toBeUndefined();
  });

  it('$formatDate writes millis or date strings, ISO by default or with a picture', async () => {
    expect(await evaluateExpression('$formatDate(0)', {})).toBe('1970-01-01T00:00:00.000Z');
    expect(await evaluateExpression('$formatDate("2024-03-01", "[D01]/[M01]/[Y0001]")', {})).toBe(
      '01/03/2024',
    );
    expect(await evaluateExpression('$formatDate("2024-03-01T12:00:00Z", "[H01]:[m01]", "-0300")', {})).toBe(
      '09:00',
    );
  });

  it('$toBoolean reads the words integrations send', async () => {
    expect(
      await evaluateExpression('[$toBoolean("false"), $toBoolean("NO"), $toBoolean("1"), $toBoolean(0)]', {}),
    ).toEqual([false, false, true, false]);
  });

  it('$parseJson reads JSON text and reports bad text', async () => {
    expect(await evaluateExpression('$parseJson(s).a', { s: '{"a":[1,2]}' })).toEqual([1, 2]);
    await expect(evaluateExpression('$parseJson("{")', {})).rejects.toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
    });
  });

  it('leaves the JSONata built-ins for URL encoding in place', async () => {
    expect(await evaluateExpression('$encodeUrlComponent("a b&c")', {})).toBe('a%20b%26c');
    expect(await evaluateExpression('$decodeUrlComponent("a%20b")', {})).toBe('a b');
  });
});
