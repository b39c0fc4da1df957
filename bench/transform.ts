/**
 * Mapping throughput: a 20-field declarative mapping over a ~2 KB order payload, run as
 *   - compiled JSONata (compiled once, as the gateway holds it; the mapping is inside the fast
 *     path's subset, so this is the compiled closure — see src/transform/fast-path.ts),
 *   - evaluateMapping (the convenience call: field list → cached text → cache lookup each time; the
 *     same list object each call, as a stored mapping is; a list parsed from each request also pays
 *     its JSON as the cache key),
 *   - the same mapping hand-written in TypeScript (the baseline),
 *   - uncompiled JSONata (cache off: parse + fast-path compile on every call),
 *   - JSONata's own evaluator (fast path off), for reference: what an expression outside the subset costs.
 * Ends with one line of JSON: figures, the ratios `jsonataVsHandwritten` (how many times slower
 * than hand-written; target ≤ 10), `evaluateMappingVsHandwritten` (the same through the convenience
 * call) and `cacheSpeedup` (compiled vs recompiled; target ≥ 20), and `targetsMet`.
 */

import { fieldsToExpression } from '../src/transform/field-mapping.js';
import {
  compileExpression,
  compileMapping,
  evaluateCompiled,
  evaluateMapping,
  type JsonValue,
} from '../src/transform/index.js';
import { ORDER_FIELDS } from './support/order-mapping.js';

const SECONDS_PER_CASE = Number(process.env.BENCH_SECONDS ?? 4);

const payload = {
  id: 'ord_8f14e45fceea167a5a36dedd4bea2543',
  status: 'paid',
  createdAt: '2024-05-17T10:24:31Z',
  currency: 'brl',
  total: '1289.90',
  customer: {
    id: 'cus_1024',
    name: '  Ana Souza  ',
    email: 'ANA.SOUZA@EXAMPLE.COM',
    phone: '+55 11 91234-5678',
    vip: 'true',
    address: {
      street: 'Rua das Flores, 123',
      city: 'São Paulo',
      state: 'sp',
      zip: '01234-567',
      country: 'BR',
    },
  },
  items: Array.from({ length: 10 }, (_, i) => ({
    sku: `SKU-${1000 + i}`,
    name: `Product number ${i} with a reasonably descriptive name`,
    quantity: i + 1,
    price: 19.9 * (i + 1),
    tags: ['catalog', 'summer', `line-${i}`],
  })),
  shipping: { method: 'express', carrier: 'Correios', tracking: 'BR123456789XX', cost: 29.9 },
  metadata: {
    source: 'web',
    campaign: 'spring-sale',
    utm: { medium: 'email', content: 'hero-banner' },
    notes: '',
  },
};

const fields = ORDER_FIELDS;

type Payload = typeof payload;

/** The same mapping as a person would write it by hand. */
function handwritten(input: Payload): JsonValue {
  const present = <T>(value: T | undefined, fallback: JsonValue): T | JsonValue =>
    value === undefined ? fallback : value;
  return {
    order: {
      id: input.id,
      status: input.status.toUpperCase(),
      created: input.createdAt,
      currency: input.currency.toUpperCase(),
      total: Number(input.total),
    },
    customer: {
      externalId: input.customer.id,
      name: input.customer.name.trim(),
      email: input.customer.email.toLowerCase(),
      phone: input.customer.phone,
      vip: !['false', '0', 'no', 'off', 'n', ''].includes(input.customer.vip.trim().toLowerCase()),
    },
    shipTo: {
      line1: input.customer.address.street,
      city: input.customer.address.city,
      state: input.customer.address.state.toUpperCase(),
      postalCode: input.customer.address.zip,
      country: input.customer.address.country,
    },
    firstItem: { sku: input.items[0].sku, quantity: String(input.items[0].quantity) },
    shipping: { carrier: input.shipping.carrier, tracking: input.shipping.tracking },
    source: { channel: present((input.metadata as { channel?: string }).channel, 'unknown') as JsonValue },
  };
}

/** Calls `step` until the time is up; returns calls per second. */
async function measure(step: () => unknown): Promise<number> {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) await step();
  let calls = 0;
  const started = performance.now();
  const until = started + SECONDS_PER_CASE * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 50; i++) await step();
    calls += 50;
  }
  return calls / ((performance.now() - started) / 1000);
}

const text = fieldsToExpression(fields);
const compiled = compileMapping({ fields });
if (!compiled.fast) throw new Error(`the mapping is not on the fast path: ${compiled.fallbackReason}`);
const evaluator = compileExpression(text, { fastPath: false });
const expected = JSON.stringify(handwritten(payload));
for (const expression of [compiled, evaluator]) {
  const actual = JSON.stringify(await evaluateCompiled(expression, payload));
  if (actual !== expected) throw new Error(`mappings disagree:\n${actual}\n${expected}`);
}

const handwrittenPerSec = await measure(() => handwritten(payload));
const compiledPerSec = await measure(() => evaluateCompiled(compiled, payload));
const evaluateMappingPerSec = await measure(() => evaluateMapping({ fields }, payload));
const uncompiledPerSec = await measure(() =>
  evaluateCompiled(compileExpression(text, { cache: false }), payload),
);
const jsonataEvaluatorPerSec = await measure(() => evaluateCompiled(evaluator, payload));

const round = (value: number, digits = 0) => Number(value.toFixed(digits));
console.log(
  JSON.stringify({
    bench: 'transform',
    payloadBytes: Buffer.byteLength(JSON.stringify(payload)),
    fields: fields.length,
    secondsPerCase: SECONDS_PER_CASE,
    handwrittenPerSec: round(handwrittenPerSec),
    compiledPerSec: round(compiledPerSec),
    evaluateMappingPerSec: round(evaluateMappingPerSec),
    uncompiledPerSec: round(uncompiledPerSec),
    jsonataEvaluatorPerSec: round(jsonataEvaluatorPerSec),
    jsonataVsHandwritten: round(handwrittenPerSec / compiledPerSec, 2),
    evaluateMappingVsHandwritten: round(handwrittenPerSec / evaluateMappingPerSec, 2),
    cacheSpeedup: round(compiledPerSec / uncompiledPerSec, 2),
    targetsMet: {
      compiledWithin10xOfHandwritten: handwrittenPerSec / compiledPerSec <= 10,
      cacheAtLeast20x: compiledPerSec / uncompiledPerSec >= 20,
    },
  }),
);
