import { describe, expect, it } from 'vitest';
import { compilePipeline } from '../transform/index.js';
import { stepRecording } from './step-records.js';

const passing = compilePipeline([{ type: 'map', name: 'double', expression: '{ "n": n * 2 }' }]);
const failing = compilePipeline([
  { type: 'map', name: 'double', expression: '{ "n": n * 2 }' },
  { type: 'validate', schema: { required: ['missing'] } },
]);

async function rowsOf(policy: { failures: boolean; successRate: number }, pipeline = passing) {
  const recording = stepRecording(policy)({ tenantId: 't', executionId: 'e' });
  await pipeline.run({ n: 1 }, recording.record).catch(() => undefined);
  return recording.rows();
}

describe('step recording', () => {
  it('keeps a failed run whole, with the steps that led to the failure, and no successful run by default', async () => {
    const policy = { failures: true, successRate: 0 };
    expect(await rowsOf(policy)).toEqual([]);
    const rows = await rowsOf(policy, failing);
    expect(rows.map((row) => [row.name ?? row.type, row.status])).toEqual([
      ['double', 'success'],
      ['validate', 'failed'],
    ]);
    expect(rows[0]).toMatchObject({ tenantId: 't', executionId: 'e', input: { n: 1 }, output: { n: 2 } });
    expect(rows[1].error).toMatch(/missing/);
  });

  it('keeps every run with all, none with off, and about the configured share of successes', async () => {
    expect(await rowsOf({ failures: true, successRate: 1 })).toHaveLength(1);
    expect(await rowsOf({ failures: false, successRate: 0 }, failing)).toEqual([]);
    let kept = 0;
    for (let i = 0; i < 2_000; i++)
      if ((await rowsOf({ failures: true, successRate: 0.25 })).length > 0) kept++;
    expect(kept).toBeGreaterThan(350);
    expect(kept).toBeLessThan(650);
  });

  it('records a single step run outside a pipeline, failure included', async () => {
    const recording = stepRecording({ failures: true, successRate: 0 })({ tenantId: 't', executionId: null });
    await expect(
      recording.step('map', 'inputMapping', { expression: 'x' }, { x: 1 }, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(recording.rows()).toMatchObject([
      { name: 'inputMapping', status: 'failed', error: 'boom', output: null },
    ]);
  });
});
