import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sealPlainChannels } from '../src/monitoring/index.js';
import { addFileKey, loadKeyring, Sealer, sealedBinding } from '../src/platform/crypto.js';
import { resealAll } from '../src/platform/key-rotation.js';
import { type FakeSmtp, startFakeSmtp } from './fakes/smtp.js';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { type Receiver, startReceiver, waitFor } from './fakes/webhook-receiver.js';
import { createRestConnection, execute, openStream } from './monitoring-kit.js';
import { call, createTenant, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('monitoring: alerts', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let receiver: Receiver;
  let smtp: FakeSmtp;
  let connectionId: string;
  let emailConnectionId: string;
  const triggered: unknown[] = [];

  const api = (method: string, path: string, body?: unknown, key = t.adminKey) =>
    call(t.baseUrl, method, `/api/integrations${path}`, { key, body });
  const evaluate = (offsetMs = 0) =>
    t.platform.monitoring.evaluator.evaluate(new Date(Date.now() + offsetMs));
  const storedConfig = async (ruleId: string) =>
    (
      await t.platform.db.pool.query('SELECT notification_config FROM integration_alerts WHERE id = $1', [
        ruleId,
      ])
    ).rows[0].notification_config;
  const fileSealer = () =>
    new Sealer(
      loadKeyring({
        encryptionKey: undefined,
        encryptionKeyPrevious: undefined,
        production: false,
        dataDir: t.dataDir,
      }),
    );

  beforeAll(async () => {
    upstream = await startUpstream();
    receiver = await startReceiver();
    smtp = await startFakeSmtp({ username: 'mailer', password: 'mail-pw' });
    // No scheduler role: the test drives evaluation itself, with its own clock.
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
      KRYONIX_ROLES: 'gateway,webhooks,worker',
    });
    t.platform.events.subscribe('alert.triggered', (event) => {
      triggered.push(event.data);
    });
    connectionId = await createRestConnection(t, t.adminKey, `${upstream.url}/base`, 'alerting-upstream');
    const email = await api('POST', '/connections', {
      connectorId: 'email',
      name: 'alert-mail',
      config: { host: '127.0.0.1', port: smtp.port, from: 'Kryonix <alerts@example.com>' },
      authConfig: { type: 'basic', username: 'mailer' },
      credentials: { password: 'mail-pw' },
    });
    expect(email.status, JSON.stringify(email.body)).toBe(201);
    emailConnectionId = email.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
    await receiver?.close();
    await smtp?.close();
  });

  it('validates rules, masks channel URLs and keeps them when sent back masked', async () => {
    const bad = await api('POST', '/alerts', {
      name: 'x',
      type: 'error_rate',
      scope: { kind: 'subscription', subscriptionId: connectionId },
      condition: { threshold: 1 },
    });
    expect(bad.status).toBe(400);
    expect(
      (await api('POST', '/alerts', { name: 'x', type: 'nope', condition: { threshold: 1 } })).status,
    ).toBe(400);
    expect(
      (
        await api('POST', '/alerts', {
          name: 'x',
          type: 'error_rate',
          condition: { threshold: 1 },
          channels: [{ type: 'slack', url: 'ftp://example.com/x' }],
        })
      ).status,
    ).toBe(400);

    const created = await api('POST', '/alerts', {
      name: 'temp',
      type: 'response_time',
      condition: { threshold: 1000, statistic: 'p95' },
      channels: [{ type: 'slack', url: `${receiver.url}/secret-token-path` }],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      type: 'response_time',
      scope: { kind: 'all' },
      condition: { threshold: 1000, operator: 'gt', windowSeconds: 300, forSeconds: 0, statistic: 'p95' },
      severity: 'warning',
      state: 'ok',
      channels: [{ type: 'slack', url: `${receiver.url}/…` }],
    });
    expect(JSON.stringify(created.body)).not.toContain('secret-token-path');
    // At rest the channel is sealed: no URL, only its masked form beside the envelope.
    const stored = JSON.stringify(await storedConfig(created.body.id));
    expect(stored).not.toContain('secret-token-path');
    expect(stored).toContain('"kid"');
    const list = await api('GET', '/alerts');
    expect(list.body.items.map((r: { id: string }) => r.id)).toContain(created.body.id);
    const other = await createTenant(t, 'alerts-other');
    expect((await api('GET', `/alerts/${created.body.id}`, undefined, other.key)).status).toBe(404);
    expect((await api('DELETE', `/alerts/${created.body.id}`)).status).toBe(204);
    expect((await api('GET', `/alerts/${created.body.id}`)).status).toBe(404);
  });

  it('fires an error_rate rule once after its `for` duration, notifies every channel, then resolves', async () => {
    const created = await api('POST', '/alerts', {
      name: 'upstream failing',
      type: 'error_rate',
      scope: { kind: 'connection', connectionId },
      condition: { threshold: 50, windowSeconds: 300, forSeconds: 60 },
      severity: 'error',
      channels: [
        { type: 'webhook', url: `${receiver.url}/hook`, headers: { 'x-token': 'hook-secret' } },
        { type: 'slack', url: `${receiver.url}/slack` },
        { type: 'teams', url: `${receiver.url}/teams` },
        { type: 'email', connectionId: emailConnectionId, to: ['ops@example.com'] },
      ],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const ruleId = created.body.id;
    // Sending the masked channels back (as a form would) keeps the real URLs and headers.
    const renamed = await api('PATCH', `/alerts/${ruleId}`, {
      name: 'upstream failing!',
      channels: created.body.channels,
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    const stored = JSON.stringify(await storedConfig(ruleId));
    for (const secret of ['/hook', '/slack', 'hook-secret']) expect(stored).not.toContain(secret);

    const stream = await openStream(
      `${t.baseUrl}/api/integrations/stream?types=alert&access_token=${t.adminKey}`,
    );
    try {
      await stream.next('ready');
      for (let i = 0; i < 3; i++)
        await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/status/500' });
      await t.platform.executionLog.flush();

      await evaluate();
      expect((await api('GET', `/alerts/${ruleId}`)).body).toMatchObject({
        state: 'pending',
        currentValue: 100,
      });
      await evaluate(30_000);
      expect((await api('GET', `/alerts/${ruleId}`)).body.state).toBe('pending');
      expect(receiver.received).toHaveLength(0);

      await evaluate(61_000);
      const firing = await api('GET', `/alerts/${ruleId}`);
      expect(firing.body).toMatchObject({ state: 'firing', triggerCount: 1 });
      const fired = await stream.next('alert', (data) => data.state === 'firing');
      expect(fired.data).toMatchObject({ alertId: ruleId, severity: 'error' });
      expect(triggered).toHaveLength(1);

      const hook = receiver.on('/hook');
      expect(hook).toHaveLength(1);
      expect(hook[0].headers['x-token']).toBe('hook-secret');
      expect(JSON.parse(hook[0].body)).toMatchObject({
        type: 'alert.triggered',
        alert: { id: ruleId, name: 'upstream failing!', type: 'error_rate' },
        event: { severity: 'error', value: 100, threshold: 50 },
      });
      expect(JSON.parse(receiver.on('/slack')[0].body).text).toContain('[KRYONIX ERROR] upstream failing!');
      expect(JSON.parse(receiver.on('/teams')[0].body)).toMatchObject({ '@type': 'MessageCard' });
      await waitFor(() => smtp.messages.length === 1, 'the alert email');
      expect(smtp.messages[0].to).toEqual(['ops@example.com']);
      expect(smtp.messages[0].data).toContain('upstream failing!');

      // Still breaching: no second event, no second notification.
      await evaluate(120_000);
      await evaluate(180_000);
      expect(receiver.on('/hook')).toHaveLength(1);
      expect(smtp.messages).toHaveLength(1);
      const events = await api('GET', `/alerts/events?alertId=${ruleId}`);
      expect(events.body.items).toHaveLength(1);
      expect(events.body.items[0]).toMatchObject({
        alertName: 'upstream failing!',
        resolved: false,
        severity: 'error',
      });
      expect(events.body.items[0].details.notifications).toHaveLength(4);
      expect(events.body.items[0].details.notifications.every((n: { ok: boolean }) => n.ok)).toBe(true);

      // Recovery: the rate falls under the threshold.
      for (let i = 0; i < 5; i++)
        await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/echo/ok' });
      await t.platform.executionLog.flush();
      await evaluate(240_000);
      expect((await api('GET', `/alerts/${ruleId}`)).body.state).toBe('ok');
      const resolved = await stream.next('alert', (data) => data.state === 'resolved');
      expect(resolved.data.alertId).toBe(ruleId);
      const after = await api('GET', `/alerts/events?alertId=${ruleId}&state=resolved`);
      expect(after.body.items[0]).toMatchObject({
        resolved: true,
        resolvedBy: 'system',
        resolvedAt: expect.any(String),
      });
      expect(receiver.on('/hook')).toHaveLength(2);
      expect(JSON.parse(receiver.on('/hook')[1].body).type).toBe('alert.resolved');
      await waitFor(() => smtp.messages.length === 2, 'the resolution email');
      expect(smtp.messages[1].data).toContain('RESOLVED');
      // Opening the sealed channels to notify is audited, once per notice (fired, resolved).
      const decryptions = await api(
        'GET',
        `/audit-log?action=integration_alert.channels.decrypt&resourceId=${ruleId}`,
      );
      expect(decryptions.body.items).toHaveLength(2);
      expect(decryptions.body.items[0]).toMatchObject({
        actor: 'system:alerts',
        details: { reason: 'notify' },
      });
      expect(JSON.stringify(decryptions.body)).not.toContain('hook-secret');
      await api('PATCH', `/alerts/${ruleId}`, { isActive: false });
    } finally {
      stream.close();
    }
  });

  it('acknowledges and resolves events by hand; a rule still breaching fires again', async () => {
    const created = await api('POST', '/alerts', {
      name: 'any failure',
      type: 'error_rate',
      condition: { threshold: 1, forSeconds: 0 },
      severity: 'critical',
      channels: [{ type: 'webhook', url: `${receiver.url}/manual` }],
    });
    const ruleId = created.body.id;
    await evaluate();
    const [event] = (await api('GET', `/alerts/events?alertId=${ruleId}`)).body.items;
    expect(event).toMatchObject({ severity: 'critical', acknowledged: false });

    const acknowledged = await api('POST', `/alerts/events/${event.id}/acknowledge`);
    expect(acknowledged.body).toMatchObject({
      acknowledged: true,
      acknowledgedBy: expect.stringMatching(/^api_key:/),
    });
    const resolved = await api('POST', `/alerts/events/${event.id}/resolve`);
    expect(resolved.body).toMatchObject({ resolved: true, resolvedBy: expect.stringMatching(/^api_key:/) });
    expect((await api('GET', `/alerts/${ruleId}`)).body.state).toBe('ok');
    // The resolution by hand is notified too.
    await waitFor(() => receiver.on('/manual').length === 2, 'the resolution notice');

    await evaluate(60_000);
    const again = (await api('GET', `/alerts/events?alertId=${ruleId}`)).body.items;
    expect(again).toHaveLength(2);
    expect(again[0].resolved).toBe(false);
    await waitFor(() => receiver.on('/manual').length === 3, 'the second firing notice');
    expect(receiver.on('/manual').map((r) => JSON.parse(r.body).type)).toEqual([
      'alert.triggered',
      'alert.resolved',
      'alert.triggered',
    ]);
    expect((await api('POST', '/alerts/events/00000000-0000-4000-8000-000000000000/resolve')).status).toBe(
      404,
    );
    await api('DELETE', `/alerts/${ruleId}`);
  });

  it('evaluates health, rate-limit and webhook rules on their own tables', async () => {
    const health = await api('POST', '/alerts', {
      name: 'unhealthy',
      type: 'health_check',
      condition: { threshold: 0 },
    });
    await t.platform.db.withPlatform((tx) =>
      tx.execute(sql`UPDATE connections SET health_status = 'unhealthy' WHERE id = ${connectionId}`),
    );
    await evaluate();
    expect((await api('GET', `/alerts/${health.body.id}`)).body).toMatchObject({
      state: 'firing',
      currentValue: 1,
    });
    for (const type of ['rate_limit', 'webhook_failures', 'queue_backlog']) {
      const rule = await api('POST', '/alerts', { name: type, type, condition: { threshold: 0 } });
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    }
    await evaluate();
    const rules = (await api('GET', '/alerts')).body.items as {
      type: string;
      state: string;
      currentValue: number;
    }[];
    for (const type of ['rate_limit', 'webhook_failures', 'queue_backlog'])
      expect(rules.find((r) => r.type === type)).toMatchObject({ state: 'ok', currentValue: 0 });
  });

  it('notifies from channels stored in clear, seals them at start and re-seals them on key rotation', async () => {
    const created = await api('POST', '/alerts', {
      name: 'legacy',
      type: 'error_rate',
      condition: { threshold: 1, forSeconds: 0 },
      channels: [{ type: 'slack', url: `${receiver.url}/placeholder` }],
    });
    const ruleId = created.body.id;
    // A rule written before channels were sealed.
    const plain = {
      channels: [{ type: 'webhook', url: `${receiver.url}/legacy`, headers: { 'x-k': 'legacy-k' } }],
    };
    await t.platform.db.pool.query('UPDATE integration_alerts SET notification_config = $2 WHERE id = $1', [
      ruleId,
      JSON.stringify(plain),
    ]);
    expect((await api('GET', `/alerts/${ruleId}`)).body.channels).toEqual([
      { type: 'webhook', url: `${receiver.url}/…`, headers: { 'x-k': '[redacted]' } },
    ]);
    for (let i = 0; i < 2; i++)
      await execute(t, t.adminKey, connectionId, { method: 'GET', endpoint: '/status/500' });
    await t.platform.executionLog.flush();
    await evaluate();
    expect(receiver.on('/legacy')).toHaveLength(1);
    expect(receiver.on('/legacy')[0].headers['x-k']).toBe('legacy-k');

    const sealer = fileSealer();
    expect(await sealPlainChannels(t.platform.db, sealer)).toBe(1);
    expect(await sealPlainChannels(t.platform.db, sealer)).toBe(0);
    const sealed = await storedConfig(ruleId);
    expect(JSON.stringify(sealed)).not.toMatch(/legacy|\/placeholder/);
    expect((await api('GET', `/alerts/${ruleId}`)).body.channels).toEqual([
      { type: 'webhook', url: `${receiver.url}/…`, headers: { 'x-k': '[redacted]' } },
    ]);

    // `kryonix keys rotate-master`: the channels move to the new key and still open.
    const rotated = new Sealer(addFileKey(t.dataDir));
    expect(await resealAll(t.platform.db, rotated)).toBeGreaterThanOrEqual(1);
    const resealed = await storedConfig(ruleId);
    expect(resealed.kid).toBe(rotated.currentKeyId);
    expect(resealed.kid).not.toBe(sealed.kid);
    expect(resealed.shown).toEqual(sealed.shown);
    expect(
      rotated.open(resealed, sealedBinding('integration_alerts', 'notification_config', ruleId)),
    ).toEqual(plain.channels);
    await api('DELETE', `/alerts/${ruleId}`);
  });
});
