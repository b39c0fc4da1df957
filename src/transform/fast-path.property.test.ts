import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ORDER_FIELDS } from '../../bench/support/order-mapping.js';
import { type CompiledExpression, compileExpression, evaluateCompiled } from './expression.js';
import { planFastPath } from './fast-path.js';
import { FIELD_TRANSFORMS, type FieldMapping, fieldsToExpression } from './field-mapping.js';
import { DEFAULT_LIMITS } from './limits.js';

/*
 * The fast path must answer exactly what JSONata answers, or not at all. For random JSON inputs ×
 * expressions in its subset (a hand-written corpus, the declarative field transforms, the bench
 * mapping, and randomly generated expressions):
 *   - when the fast path answers, JSONata answers the same (after the module's result cleaning);
 *   - when JSONata fails, the fast path does not answer;
 *   - through evaluateCompiled, the outcome (value, or error code and message) is the same with the
 *     fast path on and off.
 */

const KEYS = ['a', 'b', 'c', 'items', 'name', 'price', 'qty', 'tags', 'x'] as const;

const leaf = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '  Ana  Souza ',
    'false',
    'no',
    '0',
    '1',
    '12.5',
    '-3',
    '1e3',
    '0x1F',
    'true',
    'ABC',
    'a,b',
    '2024-05-17T10:24:31Z',
    '2024-03-01',
    '{"a":[1,2]}',
    'QUJD',
    '日本 é',
  ),
  fc.string({ maxLength: 6 }),
  fc.integer({ min: -5, max: 20 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

const { value: jsonValue, object: jsonObject } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 6 }),
}));

/** Mostly objects (where paths find things), sometimes arrays, scalars or nothing. */
const input = fc.oneof(
  { weight: 6, arbitrary: jsonObject },
  { weight: 2, arbitrary: fc.array(jsonObject, { maxLength: 3 }) },
  { weight: 1, arbitrary: jsonValue },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const BENCH_FIELDS = ORDER_FIELDS;

/** The same bench mapping over this test's keys, so random inputs reach its paths. */
const KEYED_FIELDS: FieldMapping[] = BENCH_FIELDS.map((field, i) => ({
  ...field,
  from: ['a', 'b.c', 'items[0].name', 'items.price', 'a.b[1]', 'x[1]', 'tags', '[0].a'][i % 8],
}));

/** Every declarative transform, with and without a default. */
const TRANSFORM_FIELDS: FieldMapping[] = FIELD_TRANSFORMS.flatMap((transform, i) => [
  { from: KEYS[i % KEYS.length], to: `plain.${transform}`, transform },
  { from: `items[0].${KEYS[(i + 3) % KEYS.length]}`, to: `withDefault.${transform}`, transform, default: i },
  { from: 'a.b', to: `objectDefault.${transform}`, transform, default: { d: [i, null] } },
]);

const CORPUS = [
  // paths and predicates
  'a',
  'a.b',
  'a.b.c',
  '`a`.`b`',
  'a."b"',
  'items',
  'items.price',
  'items.tags',
  'items.tags[0]',
  'items[0]',
  'items[-1].name',
  'items[1].tags[0]',
  'items[0][0]',
  'items[0].tags[-1]',
  'a[0].b',
  'a.b[1].c',
  'items[price > 2]',
  'items[price > 2].name',
  'items[tags = "x"]',
  'items[name]',
  'items["x"]',
  'items[$exists(price)].price',
  'items[[0, 1]]',
  'items[qty][0]',
  'tags[$ = "x"]',
  '$',
  '$$',
  '$[0]',
  '$[0].a',
  '$[-1].items',
  '$.a',
  '$$.items.price',
  'items.$',
  'a.items.tags[]',
  'items[]',
  'a[]',
  'a.(b)',
  'items.(price * qty)',
  'items.{"n": name, "p": price}',
  'items.[name, price]',
  '[a, b].c',
  '[items.price]',
  '[a][0]',
  '(a.b)[0]',
  '"lit"[0]',
  // literals and constructors
  '"x"',
  '1.5',
  'true',
  'null',
  '-1',
  '[]',
  '{}',
  '[1, [2, 3], "x"]',
  '{"k": "v", "n": null, "t": true}',
  '{"a": a, "b": b.c, "n": {"x": items.price, "y": {}}}',
  '{"tags": items.tags, "first": items[0]}',
  '[a, b, items.price]',
  '[[a], [b]]',
  '{name: price}',
  'items.{name: qty}',
  '{"0": a, "b": b, "1": c}',
  '{"__proto__": a, "constructor": b}',
  // operators
  'a + 1',
  'price * qty',
  'a - b',
  'a / b',
  'a % 3',
  '-a',
  '-items.price',
  'a = b',
  'a != b',
  'items = a',
  'a < b',
  'a <= "m"',
  'a > 2',
  'a >= b',
  'a & b',
  'a & "-" & b.c',
  '"n=" & price & items',
  'a and b',
  'a or b',
  'a in items.name',
  '"x" in tags',
  'items.price = 2',
  // conditions
  'a ? b : c',
  'a > 1 ? "big" : "small"',
  'a ? b',
  'a ?: "default"',
  'a ?? b',
  'a.b ?? "none"',
  'items.price ?? 0',
  // blocks and variables
  '()',
  '(a)',
  '(a; b)',
  '($x := a; $x)',
  '($x := a; $y := b; $x & $y)',
  '($x := items; $x.price)',
  '($x := items.price; $x[0])',
  '($x := a; ($x := b; $x) & $x)',
  '($x := a; $x := $x & "!"; $x)',
  'items.($p := price; $p * 2)',
  '($v := a.b; $exists($v) ? $uppercase($string($v)) : "none")',
  '($t := items.tags; {"t": $t, "n": $count($t)})',
  // functions
  '$uppercase(a)',
  '$lowercase(name)',
  '$trim(name)',
  '$string(a)',
  '$string(items)',
  '$string(a, true)',
  '$string()',
  '$number(a)',
  '$boolean(a)',
  '$boolean(items)',
  '$not(a)',
  '$exists(a.b)',
  '$substring(name, 1)',
  '$substring(name, -2, 1)',
  '$substring(a, 0, 2)',
  '$substringBefore(name, " ")',
  '$substringAfter(name, "a")',
  '$join(tags, ",")',
  '$join(items.name)',
  '$count(items)',
  '$count(a)',
  '$sum(items.price)',
  '$max(items.price)',
  '$min(items.price)',
  '$average(items.price)',
  '$abs(a)',
  '$floor(price)',
  '$ceil(price)',
  '$length(name)',
  '$toBoolean(a)',
  '$parseJson(a)',
  '$parseJson(name).a',
  '$base64encode(name)',
  '$base64decode(name)',
  '$parseDate(a)',
  '$formatDate(a)',
  'items.$uppercase(name)',
  '$uppercase()',
  'a.$string()',
  'items.$count(tags)',
  '$exists(items[price > 1])',
  '$string(items.price) & "/" & $number(b)',
  // the declarative mappings
  fieldsToExpression(BENCH_FIELDS),
  fieldsToExpression(KEYED_FIELDS),
  fieldsToExpression(TRANSFORM_FIELDS),
];

/** A loaded machine must not turn a JSONata evaluation into a timeout: this test is about answers. */
const limits = { ...DEFAULT_LIMITS, expressionTimeoutMs: 120_000 };

/** FAST_PATH_RUNS=<n> multiplies the runs for a longer soak. */
const RUNS = Number(process.env.FAST_PATH_RUNS ?? 1);

const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

/**
 * A value as text that shows everything deep equality should compare — and key order, -0, the
 * prototype (JSONata builds objects with a null one) and every own property of arrays (a leftover
 * sequence marker) — without toStrictEqual's `constructor` identity check, which an own member
 * named "constructor" defeats.
 */
function exact(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    const extra = Object.keys(value).filter((key) => !/^\d+$/.test(key));
    return `[${value.map(exact).join(',')}${extra.length ? ` +${extra.join('+')}` : ''}]`;
  }
  const proto = Object.getPrototypeOf(value) === null ? 'null:' : '';
  const members = Object.keys(value).map((key) => `${JSON.stringify(key)}:${exact((value as never)[key])}`);
  return `{${proto}${members.join(',')}}`;
}

type Outcome = { ok: true; value: unknown } | { ok: false; code?: string; message: string };

async function outcome(expression: CompiledExpression, data: unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await evaluateCompiled(expression, clone(data)) };
  } catch (error) {
    const failure = error as { code?: string; message: string };
    return { ok: false, code: failure.code, message: failure.message };
  }
}

/** JSONata's own answer, cleaned as the module cleans it. */
async function reference(text: string, data: unknown): Promise<Outcome> {
  const slow = compileExpression(text, { fastPath: false, limits });
  return outcome(slow, data);
}

interface Tally {
  answered: number;
  deferred: number;
}

/** One comparison; returns whether the fast path answered on its own. */
async function check(text: string, data: unknown, tally: Tally): Promise<void> {
  const fast = compileExpression(text, { limits });
  expect(fast.fast, `${text} should be on the fast path (${fast.fallbackReason})`).toBeDefined();
  const expected = await reference(text, data);

  let answered = true;
  let direct: unknown;
  try {
    direct = fast.fast!(clone(data));
  } catch {
    answered = false;
  }
  if (answered) {
    tally.answered++;
    expect(expected, `JSONata failed on ${text} where the fast path answered`).toMatchObject({ ok: true });
    if (expected.ok) expect(exact(direct), text).toBe(exact(expected.value));
  } else {
    tally.deferred++;
  }
  // End to end (fast path + fallback) equals JSONata, errors included.
  const actual = await outcome(fast, data);
  if (actual.ok && expected.ok) expect(exact(actual.value), text).toBe(exact(expected.value));
  else expect(actual, text).toEqual(expected);
}

describe('fast path ≡ JSONata (property)', () => {
  const timeout = 60_000 * RUNS;

  it('the corpus, over random JSON inputs', { timeout }, async () => {
    const tally: Tally = { answered: 0, deferred: 0 };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CORPUS), input, async (text, data) => check(text, data, tally)),
      { numRuns: 6_000 * RUNS },
    );
    if (process.env.FAST_PATH_RUNS) console.log('corpus', tally);
    // Not vacuous: most cases are answered by the fast path itself.
    expect(tally.answered).toBeGreaterThan(tally.deferred * 2);
  });

  it('every corpus expression, over fixed inputs (the bench payload, arrays, scalars, nothing)', async () => {
    const payload = {
      id: 'ord_1',
      status: 'paid',
      createdAt: '2024-05-17T10:24:31Z',
      currency: 'brl',
      total: '1289.90',
      customer: { id: 'c', name: '  Ana  ', email: 'A@B.C', vip: 'no', address: { state: 'sp' } },
      items: [
        { sku: 'S1', quantity: 1, price: 19.9, name: 'n1', tags: ['x', 'y'] },
        { sku: 'S2', quantity: 2, price: 2, name: 'n2', tags: [] },
      ],
      a: { b: [{ c: 1 }, { c: [2, [3]] }] },
      tags: ['x'],
      name: 'Ana',
      price: 2.5,
      qty: 2,
    };
    const inputs = [payload, [payload, payload], [], {}, null, 'text', 3, [[1, 2], [3]], undefined];
    const tally: Tally = { answered: 0, deferred: 0 };
    for (const text of CORPUS) for (const data of inputs) await check(text, data, tally);
    expect(tally.answered).toBeGreaterThan(tally.deferred);
  });

  it('randomly generated expressions, over random JSON inputs', { timeout }, async () => {
    const { expr } = fc.letrec((tie) => ({
      expr: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        tie('path'),
        tie('literal'),
        tie('binary'),
        tie('call'),
        tie('condition'),
        tie('object'),
        tie('array'),
        tie('block'),
      ),
      literal: fc.oneof(
        fc.constantFrom(
          '"x"',
          '""',
          '"12"',
          '0',
          '2',
          '-1.5',
          'true',
          'false',
          'null',
          '$',
          '$$',
          '[]',
          '{}',
        ),
        fc.constant('$v'),
      ),
      path: fc
        .tuple(
          fc.array(
            fc.tuple(
              fc.constantFrom(...KEYS),
              fc.oneof(
                fc.constant(''),
                fc.constantFrom('[0]', '[1]', '[-1]', '[]'),
                tie('expr').map((e) => `[${e}]`),
              ),
            ),
            { minLength: 1, maxLength: 3 },
          ),
          fc.constantFrom('', '$.', '$$.'),
        )
        .map(([steps, start]) => start + steps.map(([key, suffix]) => key + suffix).join('.')),
      binary: fc
        .tuple(
          tie('expr'),
          fc.constantFrom('+', '-', '*', '/', '%', '=', '!=', '<', '<=', '>', '>=', '&', 'and', 'or', 'in'),
          tie('expr'),
        )
        .map(([l, op, r]) => `(${l} ${op} ${r})`),
      call: fc.oneof(
        fc
          .tuple(
            fc.constantFrom(
              'uppercase',
              'lowercase',
              'trim',
              'string',
              'number',
              'boolean',
              'not',
              'exists',
              'count',
              'sum',
              'join',
              'length',
              'toBoolean',
              'base64encode',
            ),
            tie('expr'),
          )
          .map(([name, arg]) => `$${name}(${arg})`),
        fc.tuple(tie('expr'), tie('expr')).map(([s, n]) => `$substring(${s}, ${n})`),
      ),
      condition: fc
        .tuple(tie('expr'), tie('expr'), tie('expr'), fc.constantFrom(' ? ', ' ?: ', ' ?? '))
        .map(([c, t, e, op]) => (op === ' ? ' ? `(${c} ? ${t} : ${e})` : `(${c}${op}${t})`)),
      object: fc
        .array(fc.tuple(fc.constantFrom('"k"', '"l"', 'name'), tie('expr')), { maxLength: 3 })
        .map((pairs) => `{${pairs.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
      array: fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
      block: fc.tuple(tie('expr'), tie('expr')).map(([value, body]) => `($v := ${value}; ${body})`),
    }));
    const tally: Tally = { answered: 0, deferred: 0 };
    let outside = 0;
    await fc.assert(
      fc.asyncProperty(expr as fc.Arbitrary<string>, input, async (text, data) => {
        let plan: ReturnType<typeof planFastPath>;
        try {
          plan = planFastPath(compileExpression(text, { fastPath: false, limits }).jsonata.ast(), limits);
        } catch {
          return; // not valid JSONata (e.g. `[]` as a path step)
        }
        if (!plan.supported) {
          outside++; // `$v` outside a block, `$$.x[]`...
          return;
        }
        await check(text, data, tally);
      }),
      { numRuns: 4_000 * RUNS },
    );
    if (process.env.FAST_PATH_RUNS) console.log('generated', tally, { outside });
    expect(tally.answered + tally.deferred).toBeGreaterThan(outside);
    expect(tally.answered).toBeGreaterThan(tally.deferred);
  });
});

describe('result cleaning', () => {
  it('a fast result carries no sequence markers', () => {
    const fast = compileExpression('{"p": items.price, "t": items.tags[]}', { limits }).fast!;
    const result = fast({
      items: [
        { price: 1, tags: ['a'] },
        { price: 2, tags: ['b'] },
      ],
    }) as {
      p: unknown[];
      t: unknown[];
    };
    expect(exact(result)).toBe('{null:"p":[1,2],"t":["a","b"]}');
  });
});
