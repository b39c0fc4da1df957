import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { convertFormat, evaluateMapping, runPipeline, validateAgainstSchema } from './index.js';
import { DEFAULT_LIMITS } from './limits.js';

/*
 * Hostile input must end in a clear error, quickly, and leave the process serving. The time bounds
 * are deliberately generous: they prove "does not hang", not speed (bench/ is for speed).
 */
const DOES_NOT_HANG_MS = 10_000;

async function failsWithin(run: () => unknown): Promise<{ code: string; message: string }> {
  const started = performance.now();
  const failure = await Promise.resolve()
    .then(run)
    .then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string },
    );
  expect(performance.now() - started).toBeLessThan(DOES_NOT_HANG_MS);
  expect(failure, 'expected an error').toBeDefined();
  return failure!;
}

const deepJsonText = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;

describe('hostile input', () => {
  it('billion laughs XML is refused before parsing', async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from(
      { length: 9 },
      (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`,
    ).join('')}]><lolz>&lol9;</lolz>`;
    const failure = await failsWithin(() => convertFormat(bomb, { from: 'xml', to: 'json' }));
    expect(failure).toMatchObject({ code: 'KRX_FORMAT_INVALID', message: expect.stringMatching(/DOCTYPE/) });
  });

  it('external entities (XXE) are refused', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(await failsWithin(() => convertFormat(xxe, { from: 'xml', to: 'json' }))).toMatchObject({
      code: 'KRX_FORMAT_INVALID',
    });
  });

  it('a stray entity reference stays literal text, never a lookup', () => {
    expect(convertFormat('<r>&x; &amp;</r>', { from: 'xml', to: 'json' })).toEqual({ r: '&x; &' });
  });

  it('a 50 MB CSV is refused by the size bound', async () => {
    const csv = `id,name\n${'1,abcdefghijklmnopqrstuvwxyz0123456789\n'.repeat(1_400_000)}`;
    expect(csv.length).toBeGreaterThan(50_000_000);
    const failure = await failsWithin(() => convertFormat(csv, { from: 'csv', to: 'json' }));
    expect(failure).toMatchObject({ code: 'KRX_PAYLOAD_TOO_LARGE' });
  });

  it('YAML alias bombs are refused', async () => {
    const levels = Array.from(
      { length: 9 },
      (_, i) => `l${i + 1}: &l${i + 1} [${`*l${i}, `.repeat(9)}*l${i}]`,
    );
    const bomb = ['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...levels].join('\n');
    expect(await failsWithin(() => convertFormat(bomb, { from: 'yaml', to: 'json' }))).toMatchObject({
      code: 'KRX_FORMAT_INVALID',
    });
  });

  it('10,000-level nested JSON is refused as text, as a value, in YAML and XML', async () => {
    expect(await failsWithin(() => convertFormat(deepJsonText, { from: 'json', to: 'xml' }))).toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
    expect(await failsWithin(() => convertFormat(deepJsonText, { from: 'yaml', to: 'json' }))).toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
    const deepXml = `${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}`;
    expect(await failsWithin(() => convertFormat(deepXml, { from: 'xml', to: 'json' }))).toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
    const deepValue = JSON.parse(deepJsonText);
    expect(await failsWithin(() => runPipeline([{ type: 'map', expression: '$' }], deepValue))).toMatchObject(
      {
        code: 'KRX_LIMIT_EXCEEDED',
      },
    );
    expect(await failsWithin(() => evaluateMapping({ expression: '$string($)' }, deepValue))).toMatchObject({
      code: 'KRX_LIMIT_EXCEEDED',
    });
    expect(validateAgainstSchema({ type: 'array' }, deepValue).valid).toBe(false);
  });

  it('an expression that recurses forever is stopped', async () => {
    const failure = await failsWithin(() =>
      evaluateMapping({ expression: '($f := function($x){$f($x)}; $f(1))' }, {}),
    );
    expect(failure).toMatchObject({ code: 'KRX_LIMIT_EXCEEDED', message: expect.stringMatching(/timeout/) });
  });

  it('a huge range is stopped before it is allocated', async () => {
    for (const expression of ['[1..100000000]', '$map([1..9999999], function($x){$x})']) {
      expect(await failsWithin(() => evaluateMapping({ expression }, {}))).toMatchObject({
        code: 'KRX_LIMIT_EXCEEDED',
      });
    }
  });

  it('a pipeline step that hits a bound fails as that step', async () => {
    const failure = await failsWithin(() => runPipeline([{ type: 'map', expression: '[1..100000000]' }], {}));
    expect(failure).toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      extensions: { step: 0, reason: 'KRX_LIMIT_EXCEEDED' },
    });
  });

  it('built-ins and concatenation that would outgrow the length bound are stopped', async () => {
    const limits = { ...DEFAULT_LIMITS, expressionMaxLength: 1_000 };
    for (const expression of [
      '$pad("", 5000, "x")', // refused before it allocates
      '$join([1..100].$pad("", 20, "y"))',
      '$replace($pad("", 500, "x"), "x", "yyy")',
      '$split($pad("", 900, "x") & $pad("", 900, "x"), "")',
      'a & a & a', // fast path: it hands the call to JSONata, which reports the bound
      '( $d := function($t, $n){ $n = 0 ? $t : $d($t & $t, $n - 1) }; $d("xx", 20) )',
      '( $d := function($t, $n){ $n = 0 ? $t : $d($append($t, $t), $n - 1) }; $d([1], 20) )',
    ]) {
      const failure = await failsWithin(() =>
        evaluateMapping({ expression }, { a: 'z'.repeat(400) }, limits),
      );
      expect(failure, expression).toMatchObject({
        code: 'KRX_LIMIT_EXCEEDED',
        message: expect.stringMatching(/exceeds the limit of 1000|maximum sequence length/),
      });
    }
    // Within the bound the same built-ins answer as JSONata's own.
    expect(await evaluateMapping({ expression: '$pad("ab", -5, "-")' }, {}, limits)).toBe('---ab');
    expect(await evaluateMapping({ expression: '$split("a1b22c", /[0-9]+/, 2)' }, {}, limits)).toEqual([
      'a',
      'b',
    ]);
    expect(await evaluateMapping({ expression: '$replace("aaa", "a", "bc", 2)' }, {}, limits)).toBe('bcbca');
  });

  it('leaves the heap where it found it', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const hostile = async () => {
      for (const expression of [
        '$length($pad("", 100000000, "x"))',
        '$count($split($pad("", 9000000, "x"), ""))',
        '( $d := function($t, $n){ $n = 0 ? $t : $d($t & $t, $n - 1) }; $d("xxxxxxxx", 40) )',
        '[1..100000000]',
      ]) {
        await evaluateMapping({ expression }, {}).catch(() => undefined);
      }
      await Promise.resolve()
        .then(() => convertFormat(deepJsonText, { from: 'json', to: 'xml' }))
        .catch(() => undefined);
    };
    await hostile(); // first run: compiled-expression caches and JIT settle
    gc();
    const before = process.memoryUsage().heapUsed;
    await hostile();
    gc();
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('keeps serving afterwards', async () => {
    expect(await evaluateMapping({ expression: '{"ok": true}' }, {})).toEqual({ ok: true });
  });
});
