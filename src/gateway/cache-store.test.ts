import { expect, it } from 'vitest';
import { createMemoryStore } from './cache-store.js';

const record = (path: string) => ({ path, variants: [] });

it("bounds the memory store by a count of responses when given one (the seed's API_CACHE_MAX_SIZE=1000), least recently used out first", async () => {
  const store = createMemoryStore(64 * 1024 * 1024, 3);
  for (const key of ['a', 'b', 'c']) await store.set(key, record(`/${key}`), 60_000);
  await store.get('a'); // a is used again: b is now the least recent
  await store.set('d', record('/d'), 60_000);
  expect(await store.get('b')).toBeUndefined();
  for (const key of ['a', 'c', 'd']) expect(await store.get(key)).toEqual(record(`/${key}`));

  // Without a count only the memory bound applies.
  const unbounded = createMemoryStore(64 * 1024 * 1024);
  for (let i = 0; i < 50; i++) await unbounded.set(`k${i}`, record(`/${i}`), 60_000);
  expect(await unbounded.get('k0')).toEqual(record('/0'));
});
