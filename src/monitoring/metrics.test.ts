import { expect, it } from 'vitest';
import type { Database } from '../platform/db/client.js';
import { createEventBus } from '../platform/events.js';
import { createMetricsRegistry, type ProviderQuotaSample } from './metrics.js';
import { createRecorder } from './recorder.js';

it('exports provider quotas as gauges, at most 1000 connections of them', async () => {
  let quotas: ProviderQuotaSample[] = Array.from({ length: 1005 }, (_, i) => ({
    connectionId: `conn-${i}`,
    connector: 'salesforce',
    quota: 'api_requests',
    used: i,
    limit: 15000,
  }));
  const events = createEventBus();
  const recorder = createRecorder(events);
  const registry = createMetricsRegistry({
    db: { withPlatform: () => Promise.reject(new Error('no database here')) } as unknown as Database,
    recorder,
    executionLogStats: () => ({ buffered: 0, written: 0, dropped: 0, failedFlushes: 0 }),
    providerQuotas: () => quotas,
  });
  const lines = (await registry.metrics()).split('\n');
  const used = lines.filter((line) => line.startsWith('kryonix_connector_quota_used{'));
  expect(used).toHaveLength(1000);
  expect(used[18]).toBe(
    'kryonix_connector_quota_used{connection_id="conn-18",connector="salesforce",quota="api_requests"} 18',
  );
  expect(lines).toContain('# TYPE kryonix_connector_quota_limit gauge');
  expect(lines.filter((line) => line.startsWith('kryonix_connector_quota_limit{'))).toHaveLength(1000);

  quotas = [];
  expect(await registry.metrics()).not.toContain('kryonix_connector_quota_used{');
  recorder.close();
  await events.close();
});
