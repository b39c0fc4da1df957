import { describe, expect, it } from 'vitest';
import { convertFormat, evaluateMapping, runPipeline, validateAgainstSchema } from './index.js';

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
      code: 'KRX_FORMAT_INVALID',
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

  it('keeps serving afterwards', async () => {
    expect(await evaluateMapping({ expression: '{"ok": true}' }, {})).toEqual({ ok: true });
  });
});
