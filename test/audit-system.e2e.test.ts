/**
 * Audit entries of work no HTTP caller asked for: the first start's bootstrap tenant and key, the
 * webhook worker's decryption of a subscription's secrets and the receiver's of an inbound endpoint's
 * (once per change of the subscription or endpoint, as the gateway audits a connection's credentials
 * once per cache fill — not once per delivery or per received webhook).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Receiver, startReceiver, waitFor } from './fakes/webhook-receiver.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('audit entries of the platform itself', (store) => {
  let t: TestPlatform;
  let receiver: Receiver;
  const admin = (method: string, path: string, body?: unknown) =>
    call(t.baseUrl, method, `/api/integrations${path}`, { key: t.adminKey, body });

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('records the first start’s default tenant and admin key, by system:bootstrap', async () => {
    const log = await admin('GET', '/audit-log?limit=50');
    expect(log.status).toBe(200);
    const me = await admin('GET', '/me');
    expect(log.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'tenant.create',
          resourceType: 'tenant',
          resourceId: me.body.tenantId,
          actor: 'system:bootstrap',
          sourceIp: null,
          requestId: null,
        }),
        expect.objectContaining({
          action: 'api_key.create',
          resourceType: 'api_key',
          resourceId: me.body.subject,
          actor: 'system:bootstrap',
          sourceIp: null,
          details: { role: 'admin' },
        }),
      ]),
    );
  });

  it('audits the delivery worker’s decryption of a subscription’s secrets once per change, not per delivery', async () => {
    const created = await admin('POST', '/webhooks/subscriptions', {
      name: 'audited',
      targetUrl: `${receiver.url}/audited`,
      events: ['test.event'],
      authentication: { type: 'bearer', token: 'target-token' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const decryptions = async () =>
      (await admin('GET', `/audit-log?action=webhook_subscription.secrets.decrypt&resourceId=${id}`)).body
        .items;
    const deliver = async () => {
      const test = await admin('POST', `/webhooks/subscriptions/${id}/test`);
      expect(test.status).toBeLessThan(300);
      await waitFor(async () => {
        const read = await admin('GET', `/webhooks/deliveries/${test.body.id}`);
        return read.body.status === 'delivered';
      }, 'the test delivery');
    };

    await deliver();
    await deliver();
    expect(receiver.on('/audited')).toHaveLength(2);
    expect(receiver.on('/audited')[1].headers.authorization).toBe('Bearer target-token');
    expect(await decryptions()).toEqual([
      expect.objectContaining({
        resourceType: 'webhook_subscription',
        resourceId: id,
        actor: 'system:webhook-worker',
        sourceIp: null,
        details: { reason: 'delivery' },
      }),
    ]);
    expect(JSON.stringify(await decryptions())).not.toContain('target-token');

    // A change of the subscription is a new cache fill: one more decryption, one more entry.
    expect((await admin('PATCH', `/webhooks/subscriptions/${id}`, { name: 'audited again' })).status).toBe(
      200,
    );
    await deliver();
    expect(await decryptions()).toHaveLength(2);
  });

  it('audits the receiver’s decryption of an inbound endpoint’s secret once per change, not per webhook', async () => {
    const secret = 'github-inbound-secret';
    const created = await admin('POST', '/webhooks/endpoints', {
      name: 'audited-inbound',
      authenticationType: 'github',
      secretKey: secret,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const receive = async () => {
      const body = JSON.stringify({ action: 'opened' });
      const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const answer = await call(t.baseUrl, 'POST', created.body.url, {
        body,
        headers: { 'x-hub-signature-256': signature, 'x-github-event': 'issues' },
      });
      expect(answer.status).toBe(200);
    };
    const decryptions = async () =>
      (await admin('GET', `/audit-log?action=webhook_endpoint.secrets.decrypt&resourceId=${id}`)).body.items;

    await receive();
    await receive();
    expect(await decryptions()).toEqual([
      expect.objectContaining({
        resourceType: 'webhook_endpoint',
        actor: 'system:webhook-receiver',
        sourceIp: null,
        details: { reason: 'verify inbound webhooks' },
      }),
    ]);
    expect(JSON.stringify(await decryptions())).not.toContain(secret);

    expect((await admin('PATCH', `/webhooks/endpoints/${id}`, { name: 'audited inbound' })).status).toBe(200);
    await receive();
    expect(await decryptions()).toHaveLength(2);
  });

  it('audits reading a masked view, which opens the sealed secrets to build it', async () => {
    const created = await admin('POST', '/webhooks/subscriptions', {
      name: 'viewed',
      targetUrl: `${receiver.url}/viewed`,
      events: ['test.event'],
      authentication: { type: 'basic', username: 'ops', password: 'view-secret' },
    });
    const id = created.body.id;
    const viewed = await admin('GET', `/webhooks/subscriptions/${id}`);
    expect(viewed.body.authentication).toEqual({ type: 'basic', username: 'ops', password: '********' });
    await admin('GET', '/webhooks/subscriptions?limit=200');
    const entries = (
      await admin('GET', '/audit-log?action=webhook_subscription.secrets.decrypt&limit=200')
    ).body.items.filter((entry: { details: { reason?: string } }) => entry.details?.reason === 'masked view');
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resourceId: id, actor: expect.stringMatching(/^api_key:/) }),
        expect.objectContaining({
          resourceId: null,
          details: expect.objectContaining({ ids: expect.arrayContaining([id]) }),
        }),
      ]),
    );

    const endpoint = await admin('POST', '/webhooks/endpoints', {
      name: 'viewed-inbound',
      authenticationType: 'github',
      secretKey: 'viewed-inbound-secret',
    });
    expect((await admin('GET', `/webhooks/endpoints/${endpoint.body.id}`)).status).toBe(200);
    const endpointEntries = (
      await admin('GET', `/audit-log?action=webhook_endpoint.secrets.decrypt&resourceId=${endpoint.body.id}`)
    ).body.items;
    expect(endpointEntries).toEqual([expect.objectContaining({ details: { reason: 'masked view' } })]);
  });
});
