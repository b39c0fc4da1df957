/**
 * Crash safety, for real: `kryonix start` is killed with SIGKILL in the middle of a burst of signed
 * inbound webhooks, once 5,000 of them were accepted and their events are being delivered to a local
 * receiver, then started again. Every inbound webhook that got a 2xx must be in the database, every one
 * of their events must reach the receiver at least once, repeats must carry the same webhook-id, and
 * webhook_deliveries must agree with what the receiver saw.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createPlatform } from '../src/start.js';
import { signForEndpoint } from '../src/webhooks/signing/index.js';
import { waitFor } from './fakes/webhook-receiver.js';
import { exitOf, spawnCli, waitForOutput } from './support/cli.js';
import { call } from './support/platform.js';
import { describeStores, leaseStore, type StoreLease } from './support/stores.js';

/**
 * Inbound webhooks (each one event to deliver) accepted while the receiver holds its answers; then it
 * answers, and the kill comes once KILL_AFTER_SEEN deliveries arrived, the burst still going on.
 */
const ACCEPTED_BEFORE_RELEASE = 5_000;
const KILL_AFTER_SEEN = 1_000;
const BURST = 6_000;
const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

describeStores('webhooks survive kill -9', (store) => {
  let lease: StoreLease;
  const seen: { n: number; id: string }[] = [];
  const seenN = new Set<number>();
  let holding = true;
  const held: (() => void)[] = [];
  let server: ReturnType<typeof createServer>;
  let receiverUrl = '';

  beforeAll(async () => {
    lease = await leaseStore(store);
    // Holds its answers until told (so deliveries pile up in the queue), then answers after 10 ms.
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        seen.push({ n: body.data.payload.n, id: String(request.headers['webhook-id']) });
        seenN.add(body.data.payload.n);
        const answer = () => setTimeout(() => response.end('ok'), 10);
        if (holding) held.push(answer);
        else answer();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await lease?.release();
  });

  it('loses nothing acknowledged, inbound or outbound', async () => {
    const env = {
      ...lease.env,
      API_LOG_LEVEL: 'info',
      KRYONIX_HOST: '127.0.0.1',
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
    };
    const first = spawnCli(['start'], env);
    const [, baseUrl] = await waitForOutput(first, LISTENING, 120_000);
    const [, key] = await waitForOutput(first, /store it now\): (krx_\S+)/, 120_000);
    const endpoint = await call(baseUrl, 'POST', '/api/integrations/webhooks/endpoints', {
      key,
      body: { name: 'burst', authenticationType: 'github', secretKey: 'burst-secret', rateLimit: 1_000_000 },
    });
    expect(endpoint.status).toBe(201);
    const subscription = await call(baseUrl, 'POST', '/api/integrations/webhooks/subscriptions', {
      key,
      body: {
        name: 'sink',
        targetUrl: `${receiverUrl}/sink`,
        events: ['webhook.received'],
        retryConfig: { schedule: [0.2, 0.5, 1, 1, 1, 1] },
        timeoutSeconds: 300, // the held answers
      },
    });
    expect(subscription.status).toBe(201);

    const accepted = new Set<number>();
    let next = 0;
    let killed = false;
    const sender = async () => {
      while (next < BURST && !killed) {
        const n = next++;
        const body = JSON.stringify({ n });
        const headers = signForEndpoint({ type: 'github', secrets: ['burst-secret'] }, { body });
        try {
          const response = await fetch(`${baseUrl}${endpoint.body.url}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-github-delivery': `d-${n}`, ...headers },
            body,
          });
          if (response.ok) accepted.add(n);
          await response.arrayBuffer();
        } catch {
          // the process died under this request: it was never acknowledged
        }
      }
    };
    const senders = Array.from({ length: 16 }, sender);
    await waitFor(
      () => accepted.size >= ACCEPTED_BEFORE_RELEASE,
      `${ACCEPTED_BEFORE_RELEASE} accepted`,
      240_000,
    );
    holding = false;
    for (const answer of held.splice(0)) answer();
    await waitFor(() => seen.length >= KILL_AFTER_SEEN, `${KILL_AFTER_SEEN} deliveries`, 120_000);
    first.kill('SIGKILL');
    killed = true;
    await exitOf(first);
    await Promise.all(senders);
    expect(seen.length).toBeLessThan(accepted.size); // deliveries were still owed when it died

    const second = spawnCli(['start'], env);
    const [, secondUrl] = await waitForOutput(second, LISTENING, 120_000);
    await waitFor(() => [...accepted].every((n) => seenN.has(n)), 'every accepted event to arrive', 120_000);
    // Rows the dead process had claimed are sent again: on PostgreSQL when their lease expires (30 s), on
    // the embedded database at once (its one delivery worker takes every leased row back at start).
    const open = async (status: string) =>
      (
        await call(
          secondUrl,
          'GET',
          `/api/integrations/webhooks/deliveries?subscriptionId=${subscription.body.id}&status=${status}&limit=1`,
          { key },
        )
      ).body.items.length;
    await waitFor(
      async () => (await open('pending')) + (await open('delivering')) === 0,
      'the queue to drain',
      120_000,
    );
    // Let in-flight outcomes be recorded, then stop cleanly.
    second.kill('SIGTERM');
    expect(await exitOf(second)).toBe(0);

    const platform = await createPlatform(
      loadConfig({ ...lease.env, API_LOG_LEVEL: 'silent', KRYONIX_ROLES: 'gateway' }),
    );
    try {
      const inbound = await platform.db.pool.query(
        "SELECT (payload->>'n')::int AS n FROM webhook_deliveries WHERE endpoint_id = $1",
        [endpoint.body.id],
      );
      const stored = new Set(inbound.rows.map((row) => row.n));
      for (const n of accepted) expect(stored.has(n), `inbound ${n} acknowledged but not stored`).toBe(true);
      expect(inbound.rows.length).toBe(stored.size); // no inbound duplicates

      const outbound = await platform.db.pool.query(
        "SELECT message_id, status, (event_data->'payload'->>'n')::int AS n FROM webhook_deliveries WHERE subscription_id = $1",
        [subscription.body.id],
      );
      expect(outbound.rows.length).toBe(stored.size); // one delivery per stored inbound webhook
      expect(outbound.rows.filter((row) => row.status !== 'delivered')).toEqual([]);
      const idByN = new Map(outbound.rows.map((row) => [row.n, row.message_id]));
      for (const entry of seen) expect(entry.id, `delivery of ${entry.n}`).toBe(idByN.get(entry.n));
      expect(new Set(seen.map((entry) => entry.id))).toEqual(
        new Set(outbound.rows.map((row) => row.message_id)),
      );
    } finally {
      await platform.close();
    }
  }, 400_000);
});
