import { expect, it } from 'vitest';
import { createEventBus } from '../events.js';
import { createTenantStatusCache } from './tenant-status.js';

it('caches a tenant status briefly, drops it on tenant.updated, and treats a missing tenant as inactive', async () => {
  const statuses = new Map([['t1', 'active']]);
  let reads = 0;
  const read = async (tenantId: string) => {
    reads += 1;
    return statuses.get(tenantId);
  };
  const events = createEventBus();
  const cache = createTenantStatusCache(read, events, 100);

  expect(await Promise.all([cache.isActive('t1'), cache.isActive('t1')])).toEqual([true, true]);
  expect(reads).toBe(1); // concurrent misses share one read

  // Suspended without the event reaching this node: still cached, until the TTL passes.
  statuses.set('t1', 'suspended');
  expect(await cache.isActive('t1')).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 150));
  expect(await cache.isActive('t1')).toBe(false);

  // With the event: at once.
  statuses.set('t1', 'active');
  events.publish('tenant.updated', { tenantId: 't1' });
  expect(await cache.isActive('t1')).toBe(true);

  expect(await cache.isActive('missing')).toBe(false);
  const afterMiss = reads;
  expect(await cache.isActive('missing')).toBe(false);
  expect(reads).toBe(afterMiss); // a miss is cached too
  cache.close();
});
