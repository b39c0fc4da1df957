/**
 * The per-target caps (WEBHOOK_TARGET_CONCURRENCY, WEBHOOK_TARGET_RATE): subscriptions pointing at one
 * receiver share its cap, a slow receiver does not hold up a healthy one, and deliveries over a cap are
 * deferred without being failed or counted as an attempt. Everything is observed at the receivers.
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from './fakes/webhook-receiver.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const API = '/api/integrations/webhooks';
const TARGET_CONCURRENCY = 3;
const TARGET_RATE = 8;

/** A receiver that answers after `delayMs` and records when each request arrived and how many overlapped. */
async function startTimedReceiver(delayMs: number) {
  let current = 0;
  let max = 0;
  const arrivals: { at: number; id: string }[] = [];
  const server = createServer((request, response) => {
    current++;
    max = Math.max(max, current);
    arrivals.push({ at: Date.now(), id: String(request.headers['webhook-id']) });
    request.resume();
    setTimeout(() => {
      current--;
      response.end('ok');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    arrivals,
    maxConcurrent: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describeStores('per-target delivery caps', (store) => {
  let t: TestPlatform;
  let tenantId: string;
  const admin = (method: string, path: string, body?: unknown) =>
    call(t.baseUrl, method, `${API}${path}`, { key: t.adminKey, body });

  async function subscription(targetUrl: string) {
    const created = await admin('POST', '/subscriptions', {
      name: `to ${targetUrl}`,
      targetUrl,
      events: ['test.event'],
      retryConfig: { schedule: [0.05] },
      timeoutSeconds: 30,
    });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  /** `count` due deliveries for a subscription, as the outbox would hold them. */
  async function enqueue(subscriptionId: string, count: number, tag: string) {
    await t.platform.db.pool.query(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_type, event_data, payload, target_url,
         status, max_attempts, message_id, next_retry_at)
       SELECT $1, $2, 'test.event', '{}', '{}', 'x', 'pending', 3, $3 || n, now()
       FROM generate_series(1, $4::int) AS n`,
      [tenantId, subscriptionId, `msg_${tag}_`, count],
    );
  }

  const states = async (subscriptionIds: string[]) =>
    (
      await t.platform.db.pool.query(
        `SELECT d.status, d.attempt_number, (SELECT count(*)::int FROM webhook_delivery_attempts a WHERE a.delivery_id = d.id) AS attempts
         FROM webhook_deliveries d WHERE d.subscription_id = ANY($1::uuid[])`,
        [subscriptionIds],
      )
    ).rows as { status: string; attempt_number: number; attempts: number }[];

  beforeAll(async () => {
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      WEBHOOK_TARGET_CONCURRENCY: String(TARGET_CONCURRENCY),
      WEBHOOK_TARGET_RATE: String(TARGET_RATE),
    });
    tenantId = (await t.platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'")).rows[0].id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('holds a slow target to its cap across subscriptions while a healthy target is served', async () => {
    const slow = await startTimedReceiver(1500);
    const healthy = await startTimedReceiver(0);
    try {
      const slowA = await subscription(`${slow.url}/a`);
      const slowB = await subscription(`${slow.url}/b`);
      const fast = await subscription(`${healthy.url}/fast`);
      await enqueue(slowA, 8, 'a');
      await enqueue(slowB, 8, 'b');
      await enqueue(fast, 5, 'fast');

      await waitFor(
        async () => (await states([fast])).every((row) => row.status === 'delivered'),
        'the healthy target to be served',
        60_000,
      );
      // The healthy target was served while the slow one still had work queued behind its cap.
      expect(slow.arrivals.length).toBeLessThan(16);

      await waitFor(
        async () => (await states([slowA, slowB])).every((row) => row.status === 'delivered'),
        'the slow target to be served',
        60_000,
      );
      expect(slow.maxConcurrent()).toBeLessThanOrEqual(TARGET_CONCURRENCY);
      expect(slow.maxConcurrent()).toBeGreaterThan(1); // both subscriptions did share the target's slots
      // Deferred deliveries were neither failed nor charged an attempt.
      for (const row of await states([slowA, slowB])) {
        expect(row).toEqual({ status: 'delivered', attempt_number: 1, attempts: 1 });
      }
      expect(new Set(slow.arrivals.map((arrival) => arrival.id)).size).toBe(16);
    } finally {
      await slow.close();
      await healthy.close();
    }
  }, 120_000);

  it('starts no more than the rate cap per second at one target', async () => {
    const target = await startTimedReceiver(0);
    try {
      const first = await subscription(`${target.url}/one`);
      const second = await subscription(`${target.url}/two`);
      await enqueue(first, 20, 'r1');
      await enqueue(second, 20, 'r2');
      await waitFor(
        async () => (await states([first, second])).every((row) => row.status === 'delivered'),
        'the rated target to be served',
        60_000,
      );
      expect(target.arrivals).toHaveLength(40);
      const perSecond = new Map<number, number>();
      for (const { at } of target.arrivals) {
        const second = Math.floor(at / 1000);
        perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      }
      console.log('HIST', JSON.stringify([...perSecond]));
      // Starts are spaced 1/rate apart; network jitter can carry one arrival across a window's edge.
      expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(TARGET_RATE + 1);
      for (const row of await states([first, second])) expect(row.attempts).toBe(1);
    } finally {
      await target.close();
    }
  }, 120_000);
});
