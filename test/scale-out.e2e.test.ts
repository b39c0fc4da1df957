/**
 * Two nodes on one PostgreSQL and one Redis: a change made through one node reaches the other's
 * caches at once (connection settings and decrypted credentials), and a live stream opened on one
 * node shows its tenant's calls made on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { insertApiKey } from '../src/platform/auth/api-keys.js';
import { createPlatform, type Platform } from '../src/start.js';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { openStream } from './monitoring-kit.js';
import { call } from './support/platform.js';
import { leaseStore, POSTGRES_URL, type StoreLease } from './support/stores.js';

const REDIS_URL = process.env.REDIS_URL;
const suite = POSTGRES_URL && REDIS_URL ? describe : describe.skip;

suite(`two nodes sharing PostgreSQL and Redis${POSTGRES_URL && REDIS_URL ? '' : ' (skipped: DATABASE_URL and REDIS_URL are needed)'}`, () => {
  let lease: StoreLease;
  let upstream: UpstreamFake;
  const nodes: Array<{ platform: Platform; url: string }> = [];
  let key: string;
  let ownerKey: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    lease = await leaseStore('postgres');
    const env = {
      ...lease.env,
      REDIS_URL: REDIS_URL!,
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
    };
    for (let i = 0; i < 2; i++) {
      const platform = await createPlatform(loadConfig(env));
      await platform.app.listen({ host: '127.0.0.1', port: 0 });
      nodes.push({
        platform,
        url: `http://127.0.0.1:${(platform.app.server.address() as { port: number }).port}`,
      });
    }
    const tenantId = (await nodes[0].platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'"))
      .rows[0].id;
    key = (
      await nodes[0].platform.db.withPlatform((tx) =>
        insertApiKey(tx, { tenantId, name: 'scale', role: 'admin' }),
      )
    ).key;
    ownerKey = (
      await nodes[0].platform.db.withPlatform((tx) =>
        insertApiKey(tx, { tenantId: null, name: 'scale owner', role: 'owner' }),
      )
    ).key;
  });
  afterAll(async () => {
    for (const node of nodes) await node.platform.close();
    await lease?.release();
    await upstream?.close();
  });

  it('drops the other node’s cached credentials when a connection changes', async () => {
    const created = await call(nodes[0].url, 'POST', '/api/integrations/connections', {
      key,
      body: {
        connectorId: 'rest',
        name: 'shared',
        config: { baseUrl: upstream.url },
        authConfig: { type: 'bearer' },
        credentials: { token: 'first-token-123' },
      },
    });
    expect(created.status).toBe(201);
    const viaB = () =>
      call(nodes[1].url, 'POST', `/api/v1/connections/${created.body.id}/execute`, {
        key,
        body: { method: 'GET', endpoint: '/echo' },
      });
    expect((await viaB()).status).toBe(200);
    expect(upstream.lastRequest?.headers.authorization).toBe('Bearer first-token-123');

    const patched = await call(nodes[0].url, 'PATCH', `/api/integrations/connections/${created.body.id}`, {
      key,
      body: { credentials: { token: 'second-token-456' } },
    });
    expect(patched.status).toBe(200);
    // The broadcast is asynchronous: poll briefly until node B has dropped its copy.
    for (let i = 0; i < 50; i++) {
      await viaB();
      if (upstream.lastRequest?.headers.authorization === 'Bearer second-token-456') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(upstream.lastRequest?.headers.authorization).toBe('Bearer second-token-456');
  });

  it('shows a call made on node A in a live stream opened on node B, to its tenant only', async () => {
    const tenant = await call(nodes[0].url, 'POST', '/api/integrations/tenants', {
      key: ownerKey,
      body: { name: 'stream-other', slug: 'stream-other' },
    });
    expect(tenant.status).toBe(201);
    const otherKey = await call(
      nodes[0].url,
      'POST',
      `/api/integrations/tenants/${tenant.body.id}/api-keys`,
      {
        key: ownerKey,
        body: { name: 'other admin', role: 'admin' },
      },
    );
    const created = await call(nodes[0].url, 'POST', '/api/integrations/connections', {
      key,
      body: { connectorId: 'rest', name: 'streamed', config: { baseUrl: upstream.url } },
    });
    expect(created.status).toBe(201);
    const streamOnB = (apiKey: string) =>
      openStream(`${nodes[1].url}/api/integrations/stream?types=execution&access_token=${apiKey}`);
    const onBusB: unknown[] = [];
    const stopListening = nodes[1].platform.events.subscribe('api.call.*', (event) => {
      onBusB.push(event.data);
    });
    const mine = await streamOnB(key);
    const theirs = await streamOnB(otherKey.body.key);
    try {
      expect(mine.status).toBe(200);
      expect(theirs.status).toBe(200);
      // Node A starts relaying once it has heard that B watches the tenant: call until it shows.
      let executionId: string | undefined;
      for (let i = 0; i < 50 && !executionId; i++) {
        const executed = await call(nodes[0].url, 'POST', `/api/v1/connections/${created.body.id}/execute`, {
          key,
          body: { method: 'GET', endpoint: '/echo' },
        });
        expect(executed.status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 100));
        executionId = mine.events.find(
          (e) => e.event === 'execution' && e.data.connectionId === created.body.id,
        )?.data.executionId;
      }
      expect(executionId).toEqual(expect.any(String));
      const shown = mine.events.find((e) => e.data.executionId === executionId);
      expect(shown?.data).toMatchObject({ status: 'success', statusCode: 200 });
      // Each call is shown once; B's event bus (its webhook outbox, metrics, caches) never saw them.
      const ids = mine.events.filter((e) => e.event === 'execution').map((e) => e.data.executionId);
      expect(new Set(ids).size).toBe(ids.length);
      expect(onBusB).toEqual([]);
      expect(theirs.events.filter((e) => e.event === 'execution')).toEqual([]);
    } finally {
      stopListening();
      mine.close();
      theirs.close();
    }
  });
});
