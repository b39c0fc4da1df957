/**
 * Outbound delivery behaviours beyond the basics: third-party verification of our signatures, bulk
 * replay, 410 Gone, auto-disable after a failure streak, the per-subscription concurrency cap, and the
 * SSRF guard without an allow-list.
 */
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Receiver, startReceiver, waitFor } from './fakes/webhook-receiver.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const API = '/api/integrations/webhooks';

describeStores('webhook delivery', (store) => {
  let t: TestPlatform;
  let receiver: Receiver;
  const admin = (method: string, path: string, body?: unknown) =>
    call(t.baseUrl, method, `${API}${path}`, { key: t.adminKey, body });

  async function subscription(path: string, body: Record<string, unknown> = {}) {
    const created = await admin('POST', '/subscriptions', {
      name: `to ${path}`,
      targetUrl: `${receiver.url}${path}`,
      events: ['test.event'],
      retryConfig: { schedule: [0.05] },
      timeoutSeconds: 5,
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  const deliveryOf = async (id: string, status: string) =>
    waitFor(async () => {
      const read = await admin('GET', `/deliveries/${id}`);
      return read.body.status === status ? read.body : undefined;
    }, `delivery ${id} to be ${status}`);

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('signs so that the standardwebhooks and svix libraries verify, also during a rotation', async () => {
    const sub = await subscription('/libs');
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    await deliveryOf(test.body.id, 'delivered');
    const [request] = receiver.on('/libs');
    const headers = request.headers as Record<string, string>;
    expect(new StandardWebhook(sub.signingSecret).verify(request.body, headers)).toMatchObject({
      type: 'test.event',
    });
    const svixHeaders = {
      'svix-id': headers['webhook-id'],
      'svix-timestamp': headers['webhook-timestamp'],
      'svix-signature': headers['webhook-signature'],
    };
    expect(new SvixWebhook(sub.signingSecret).verify(request.body, svixHeaders)).toMatchObject({
      type: 'test.event',
    });
    expect(() =>
      new StandardWebhook(sub.signingSecret).verify(request.body.replace('test', 'tost'), headers),
    ).toThrow();

    const rotated = await admin('POST', `/subscriptions/${sub.id}/rotate-secret`, { overlapSeconds: 600 });
    const again = await admin('POST', `/subscriptions/${sub.id}/test`);
    await deliveryOf(again.body.id, 'delivered');
    const second = receiver.on('/libs')[1];
    for (const secret of [sub.signingSecret, rotated.body.secret]) {
      expect(
        new StandardWebhook(secret).verify(second.body, second.headers as Record<string, string>),
      ).toBeTruthy();
    }
  });

  it("replays a subscription's failed deliveries in bulk", async () => {
    receiver.program('/replay', [{ status: 500 }]);
    const sub = await subscription('/replay');
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await admin('POST', `/subscriptions/${sub.id}/test`)).body.id);
    for (const id of ids) await deliveryOf(id, 'failed');
    receiver.program('/replay', [{ status: 200 }]);
    const replayed = await admin('POST', `/subscriptions/${sub.id}/replay`, { status: 'failed' });
    expect(replayed.status).toBe(202);
    expect(replayed.body.replayed).toBe(3);
    for (const id of ids) await deliveryOf(id, 'delivered');
  });

  it('disables a subscription whose receiver answers 410 Gone, and emits webhook.subscription_disabled', async () => {
    const disabled: any[] = [];
    t.platform.events.subscribe('webhook.subscription_disabled', (event) => {
      disabled.push(event.data);
    });
    receiver.program('/gone', [{ status: 410 }]);
    const sub = await subscription('/gone', { retryConfig: { schedule: [0.05, 0.05, 0.05] } });
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    const failed = await deliveryOf(test.body.id, 'failed');
    expect(failed.attempts).toHaveLength(1); // 410 is not retried
    const read = await waitFor(async () => {
      const current = await admin('GET', `/subscriptions/${sub.id}`);
      return current.body.isActive === false ? current.body : undefined;
    }, 'the subscription to be disabled');
    expect(read.disabledReason).toContain('410');
    await waitFor(
      () => disabled.find((event) => event.subscriptionId === sub.id),
      'webhook.subscription_disabled',
    );

    const enabled = await admin('PATCH', `/subscriptions/${sub.id}`, { isActive: true });
    expect(enabled.body).toMatchObject({ isActive: true, disabledReason: null });
  });

  it('disables a subscription that has failed without a success for the whole disable period', async () => {
    receiver.program('/streak', [{ status: 500 }]);
    const sub = await subscription('/streak', { retryConfig: { schedule: [] } });
    // A streak that began long ago, as if the receiver had been failing for days.
    await t.platform.db.pool.query(
      "UPDATE webhook_subscriptions SET failing_since = now() - interval '6 days' WHERE id = $1",
      [sub.id],
    );
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    await deliveryOf(test.body.id, 'failed');
    const read = await waitFor(async () => {
      const current = await admin('GET', `/subscriptions/${sub.id}`);
      return current.body.isActive === false ? current.body : undefined;
    }, 'the subscription to be disabled');
    expect(read.disabledReason).toContain('failed');
  });

  it('keeps a slow receiver to its concurrency cap while a healthy one is served', async () => {
    const slow = await startSlowReceiver(400);
    try {
      const slowSub = await subscription('/slow', { targetUrl: `${slow.url}/slow`, timeoutSeconds: 10 });
      const fastSub = await subscription('/fast');
      const tenantId = (await t.platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'"))
        .rows[0].id;
      // 40 events at once for the slow receiver, then one for the healthy one.
      for (let n = 0; n < 40; n++) {
        await t.platform.db.pool.query(
          `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_type, event_data, payload, target_url,
             status, max_attempts, message_id, next_retry_at)
           VALUES ($1, $2, 'test.event', '{}', '{}', 'x', 'pending', 3, $3, now())`,
          [tenantId, slowSub.id, `msg_slow${n}`],
        );
      }
      const fast = await admin('POST', `/subscriptions/${fastSub.id}/test`);
      await deliveryOf(fast.body.id, 'delivered');
      await waitFor(() => slow.served() >= 40, 'the slow receiver to be served');
      expect(slow.maxConcurrent()).toBeLessThanOrEqual(16);
    } finally {
      await slow.close();
    }
  });

  it('refuses loopback targets on a platform without an allow-list', async () => {
    if (store !== 'pglite') return; // one platform start is enough to show it
    // No scheduler role: its named cron jobs are process-wide and the first platform holds them.
    const guarded = await startTestPlatform(store, { KRYONIX_ROLES: 'gateway,webhooks,worker' });
    try {
      const refused = await call(guarded.baseUrl, 'POST', `${API}/subscriptions`, {
        key: guarded.adminKey,
        body: { name: 'local', targetUrl: 'http://127.0.0.1:9/hook', events: ['*'] },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('KRX_TARGET_FORBIDDEN');
      // A name that resolves to loopback passes the save-time check but is refused at connect time.
      const named = await call(guarded.baseUrl, 'POST', `${API}/subscriptions`, {
        key: guarded.adminKey,
        body: {
          name: 'named',
          targetUrl: `http://localhost:${new URL(receiver.url).port}/named`,
          events: ['test.event'],
          retryConfig: { schedule: [0.05, 0.05] },
        },
      });
      expect(named.status).toBe(201);
      const test = await call(guarded.baseUrl, 'POST', `${API}/subscriptions/${named.body.id}/test`, {
        key: guarded.adminKey,
      });
      const failed = await waitFor(async () => {
        const read = await call(guarded.baseUrl, 'GET', `${API}/deliveries/${test.body.id}`, {
          key: guarded.adminKey,
        });
        return read.body.status === 'failed' ? read.body : undefined;
      }, 'the refused delivery');
      expect(failed.attempts).toHaveLength(1); // a refused target is not retried
      expect(failed.attempts[0].errorMessage).toContain('not allowed');
      expect(receiver.on('/named')).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  }, 120_000);
});

async function startSlowReceiver(delayMs: number) {
  const { createServer } = await import('node:http');
  let current = 0;
  let max = 0;
  let served = 0;
  const server = createServer((request, response) => {
    current++;
    max = Math.max(max, current);
    request.resume();
    setTimeout(() => {
      current--;
      served++;
      response.end('ok');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served: () => served,
    maxConcurrent: () => max,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
