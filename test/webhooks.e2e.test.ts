import { afterAll, beforeAll, expect, it } from 'vitest';
import { signForEndpoint, signStandardWebhooks, verifyInbound } from '../src/webhooks/signing/index.js';
import { type Receiver, startReceiver, waitFor } from './fakes/webhook-receiver.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const API = '/api/integrations/webhooks';

function expectProblem(
  result: { status: number; headers: Headers; body: any },
  status: number,
  code: string,
) {
  expect(result.status).toBe(status);
  expect(result.headers.get('content-type')).toContain('application/problem+json');
  expect(result.body.code).toBe(code);
}

describeStores('webhooks', (store) => {
  let t: TestPlatform;
  let receiver: Receiver;

  const admin = (method: string, path: string, body?: unknown) =>
    call(t.baseUrl, method, `${API}${path}`, { key: t.adminKey, body });
  const post = (path: string, body: string, headers: Record<string, string> = {}, method = 'POST') =>
    call(t.baseUrl, method, path, {
      body: method === 'GET' ? undefined : body,
      headers: { 'content-type': 'application/json', ...headers },
    });

  async function endpoint(body: Record<string, unknown>) {
    const created = await admin('POST', '/endpoints', body);
    expect(created.status).toBe(201);
    return created.body;
  }

  async function subscription(path: string, body: Record<string, unknown> = {}) {
    const created = await admin('POST', '/subscriptions', {
      name: `to ${path}`,
      targetUrl: `${receiver.url}${path}`,
      events: ['webhook.received'],
      retryConfig: { schedule: [0.05, 0.05] },
      timeoutSeconds: 5,
      ...body,
    });
    expect(created.status).toBe(201);
    return created.body;
  }

  const deliveriesOf = async (query: string) =>
    (await admin('GET', `/deliveries?${query}`)).body.items as any[];

  beforeAll(async () => {
    receiver = await startReceiver();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      KRYONIX_TRUSTED_PROXIES: '127.0.0.1/32',
      API_GATEWAY_MAX_PAYLOAD_SIZE: '16kb',
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('creates an endpoint with an unguessable /webhooks/<slug> url and a sealed, masked secret', async () => {
    const created = await endpoint({
      name: 'stripe',
      authenticationType: 'stripe',
      secretKey: 'whsec_stripe_test_secret',
    });
    expect(created.url).toMatch(/^\/webhooks\/[A-Za-z0-9_-]{32}$/);
    expect(created.secretKey).toBe('********');
    expect(JSON.stringify(created)).not.toContain('whsec_stripe_test_secret');
    const raw = await t.platform.db.pool.query(
      'SELECT secret_key::text AS s FROM webhook_endpoints WHERE id = $1',
      [created.id],
    );
    expect(raw.rows[0].s).not.toContain('whsec_stripe_test_secret');

    const invalid = await admin('POST', '/endpoints', { name: 'x', authenticationType: 'github' });
    expectProblem(invalid, 400, 'KRX_VALIDATION_FAILED');
    const badSchema = await admin('POST', '/endpoints', {
      name: 'x',
      payloadValidationSchema: { type: 'nope' },
    });
    expectProblem(badSchema, 400, 'KRX_VALIDATION_FAILED');
    const badCidr = await admin('POST', '/endpoints', { name: 'x', allowedSources: ['10.1.2.3/8'] });
    expectProblem(badCidr, 400, 'KRX_VALIDATION_FAILED');
  });

  it('refuses transformations, filters and templates that do not compile when they are saved', async () => {
    const badPipeline = await admin('POST', '/endpoints', {
      name: 'bad-pipeline',
      transformationConfig: [{ type: 'map', expression: '{"a": ' }],
    });
    expectProblem(badPipeline, 400, 'KRX_VALIDATION_FAILED');
    expect(badPipeline.body.errors[0].path).toBe('/transformationConfig/0/expression');

    const target = { targetUrl: `${receiver.url}/never`, events: ['webhook.received'] };
    const badFilter = await admin('POST', '/subscriptions', {
      name: 'bad-filter',
      ...target,
      eventFilters: { where: { field: 'data.amount', op: 'between', value: 1 } },
    });
    expectProblem(badFilter, 400, 'KRX_VALIDATION_FAILED');
    expect(badFilter.body.errors[0].path).toMatch(/^\/eventFilters\/where/);

    // A filter nested a thousand groups deep is refused by its nesting bound, not by a stack overflow.
    const deep = `${'{"all":['.repeat(1_000)}{"field":"type","op":"exists"}${']}'.repeat(1_000)}`;
    const deepFilter = await call(t.baseUrl, 'POST', `${API}/subscriptions`, {
      key: t.adminKey,
      body: `{"name":"deep-filter","targetUrl":"${target.targetUrl}","events":["webhook.received"],"eventFilters":{"where":${deep}}}`,
    });
    expectProblem(deepFilter, 400, 'KRX_VALIDATION_FAILED');
    expect(JSON.stringify(deepFilter.body)).toMatch(/nest at most 4 levels/);

    const badTemplate = await admin('POST', '/subscriptions', {
      name: 'bad-template',
      ...target,
      payloadTemplate: { total: '{{ data.amount * }}' },
    });
    expectProblem(badTemplate, 400, 'KRX_VALIDATION_FAILED');
    expect(badTemplate.body.errors[0].path).toMatch(/^\/payloadTemplate\/total/);

    const names = (await admin('GET', '/subscriptions')).body.items.map((s: { name: string }) => s.name);
    expect(names).not.toEqual(expect.arrayContaining(['bad-filter', 'deep-filter', 'bad-template']));
  });

  it('accepts Stripe-signed webhooks, rejects tampered ones with 401, and deduplicates on the event id', async () => {
    const secret = 'whsec_stripe_dedup_secret';
    const created = await endpoint({ name: 'stripe-dedup', authenticationType: 'stripe', secretKey: secret });
    const body = JSON.stringify({ id: 'evt_123', object: 'event', type: 'invoice.paid' });
    const headers = signForEndpoint({ type: 'stripe', secrets: [secret] }, { body });

    const first = await post(created.url, body, headers);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ received: true, id: expect.any(String) });

    const repeat = await post(created.url, body, headers);
    expect(repeat.status).toBe(200);
    expect(repeat.body).toMatchObject({ received: true, duplicate: true });

    const tampered = await post(created.url, body.replace('invoice.paid', 'invoice.void'), headers);
    expectProblem(tampered, 401, 'KRX_UNAUTHENTICATED');
    const unsigned = await post(created.url, body);
    expectProblem(unsigned, 401, 'KRX_UNAUTHENTICATED');

    const stored = await deliveriesOf(`endpointId=${created.id}`);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      direction: 'inbound',
      status: 'received',
      eventType: 'webhook.received',
    });
    const one = await admin('GET', `/deliveries/${stored[0].id}`);
    expect(one.body.payload).toEqual(JSON.parse(body));
    expect(JSON.stringify(one.body.eventData.headers)).not.toContain('stripe-signature');
  });

  it('stores a delivery id once when its repeats arrive at the same time (one group-commit batch)', async () => {
    const burst = await endpoint({ name: 'burst', authenticationType: 'github', secretKey: 'burst-secret' });
    const body = JSON.stringify({ action: 'opened' });
    const signed = signForEndpoint({ type: 'github', secrets: ['burst-secret'] }, { body });
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, n) =>
        post(burst.url, body, { ...signed, 'x-github-delivery': `same-${n % 10}` }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    expect(answers.filter((answer) => answer.body.duplicate === true)).toHaveLength(20);
    expect(await deliveriesOf(`endpointId=${burst.id}&limit=100`)).toHaveLength(10);
  });

  it('accepts GitHub and Standard Webhooks signatures and rejects wrong secrets and stale timestamps', async () => {
    const github = await endpoint({ name: 'github', authenticationType: 'github', secretKey: 'gh-secret' });
    const body = JSON.stringify({ action: 'opened', number: 1 });
    const signed = signForEndpoint({ type: 'github', secrets: ['gh-secret'] }, { body });
    expect(
      (
        await post(github.url, body, {
          ...signed,
          'x-github-delivery': 'd-1',
          'x-github-event': 'pull_request',
        })
      ).status,
    ).toBe(200);
    const wrong = signForEndpoint({ type: 'github', secrets: ['other'] }, { body });
    expectProblem(
      await post(github.url, body, { ...wrong, 'x-github-delivery': 'd-2' }),
      401,
      'KRX_UNAUTHENTICATED',
    );

    const standard = await endpoint({ name: 'sw', authenticationType: 'standard-webhooks' });
    expect(standard.generatedSecret).toMatch(/^whsec_/);
    const message = JSON.stringify({ type: 'user.created' });
    const ok = signStandardWebhooks({
      id: 'msg_1',
      timestamp: new Date(),
      body: message,
      secrets: [standard.generatedSecret],
    });
    expect((await post(standard.url, message, ok)).status).toBe(200);
    const stale = signStandardWebhooks({
      id: 'msg_2',
      timestamp: new Date(Date.now() - 3_600_000),
      body: message,
      secrets: [standard.generatedSecret],
    });
    expectProblem(await post(standard.url, message, stale), 401, 'KRX_UNAUTHENTICATED');
    const read = await admin('GET', `/endpoints/${standard.id}`);
    expect(read.body.generatedSecret).toBeUndefined();
  });

  it('rotates an inbound secret with an overlap during which both are accepted', async () => {
    const created = await endpoint({
      name: 'rotating',
      authenticationType: 'github',
      secretKey: 'old-secret',
    });
    const rotated = await admin('POST', `/endpoints/${created.id}/rotate-secret`, {
      secretKey: 'new-secret',
      overlapSeconds: 3600,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secretRotationEndsAt).toEqual(expect.any(String));
    const body = '{"n":1}';
    for (const [secret, id] of [
      ['old-secret', 'r-1'],
      ['new-secret', 'r-2'],
    ]) {
      const headers = signForEndpoint({ type: 'github', secrets: [secret] }, { body });
      expect((await post(created.url, body, { ...headers, 'x-github-delivery': id })).status).toBe(200);
    }
    await admin('POST', `/endpoints/${created.id}/rotate-secret`, { secretKey: 'newest', overlapSeconds: 0 });
    const headers = signForEndpoint({ type: 'github', secrets: ['new-secret'] }, { body });
    expectProblem(
      await post(created.url, body, { ...headers, 'x-github-delivery': 'r-3' }),
      401,
      'KRX_UNAUTHENTICATED',
    );
  });

  it('answers 405, 403, 422, 413 and 404 problem documents and logs rejections in aggregate', async () => {
    const created = await endpoint({
      name: 'guarded',
      allowedMethods: ['POST'],
      allowedSources: ['10.0.0.0/8', '2001:db8::/32'],
      payloadValidationSchema: {
        type: 'object',
        required: ['amount'],
        properties: { amount: { type: 'number' } },
      },
    });
    const inside = { 'x-forwarded-for': '10.1.2.3' };
    expect((await post(created.url, '{"amount":5}', inside)).status).toBe(200);
    expect((await post(created.url, '{"amount":6}', { 'x-forwarded-for': '2001:db8::7' })).status).toBe(200);

    const wrongMethod = await post(created.url, '{"amount":5}', inside, 'PUT');
    expectProblem(wrongMethod, 405, 'KRX_METHOD_NOT_ALLOWED');
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expectProblem(
      await post(created.url, '{"amount":5}', { 'x-forwarded-for': '203.0.113.9' }),
      403,
      'KRX_FORBIDDEN',
    );
    // The socket peer (127.0.0.1) is not in the list, and a header alone is believed only from a trusted proxy.
    expectProblem(await post(created.url, '{"amount":5}'), 403, 'KRX_FORBIDDEN');
    const invalid = await post(created.url, '{"amount":"five"}', inside);
    expectProblem(invalid, 422, 'KRX_PAYLOAD_INVALID');
    expect(invalid.body.errors[0].path).toBe('/amount');
    expectProblem(await post(created.url, '{not json', inside), 422, 'KRX_PAYLOAD_INVALID');
    expectProblem(
      await post(created.url, JSON.stringify({ amount: 1, pad: 'x'.repeat(20_000) }), inside),
      413,
      'KRX_PAYLOAD_TOO_LARGE',
    );
    expectProblem(await post('/webhooks/no-such-endpoint-slug-000000000000', '{}'), 404, 'KRX_NOT_FOUND');
    for (let i = 0; i < 20; i++)
      await post(created.url, '{"amount":5}', { 'x-forwarded-for': '203.0.113.9' });

    const rejections = await waitFor(async () => {
      const list = await admin('GET', `/endpoints/${created.id}/rejections`);
      const statuses = new Set(list.body.items.map((item: any) => item.status));
      const forbiddenCount = list.body.items
        .filter((item: any) => item.status === 403)
        .reduce((sum: number, item: any) => sum + item.count, 0);
      // Written every 2 s: wait for all of them, not just the first flush.
      return [403, 405, 413, 422].every((status) => statuses.has(status)) && forbiddenCount >= 22
        ? list.body.items
        : undefined;
    }, 'rejections to be written');
    const forbidden = rejections.filter((item: any) => item.status === 403);
    expect(forbidden.reduce((sum: number, item: any) => sum + item.count, 0)).toBeGreaterThanOrEqual(22);
    expect(forbidden.length).toBeLessThanOrEqual(2 * 2); // aggregated per minute and reason, not a row per request
    expect(JSON.stringify(rejections)).not.toContain('"amount"');
  });

  it('answers the Slack, Microsoft Graph and GET challenge handshakes', async () => {
    const slack = await endpoint({
      name: 'slack',
      authenticationType: 'slack',
      secretKey: 'slack-signing-secret',
    });
    const body = JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' });
    const headers = signForEndpoint({ type: 'slack', secrets: ['slack-signing-secret'] }, { body });
    const answered = await post(slack.url, body, headers);
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ challenge: 'c-123' });
    expectProblem(await post(slack.url, body), 401, 'KRX_UNAUTHENTICATED');

    const graph = await endpoint({ name: 'graph', options: { handshakes: { graph: true } } });
    const echoed = await post(
      `${graph.url}?validationToken=${encodeURIComponent('Validation: Token 1')}`,
      '',
    );
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get('content-type')).toContain('text/plain');
    expect(echoed.body).toBe('Validation: Token 1');

    const meta = await endpoint({
      name: 'meta',
      options: {
        handshakes: { getChallenge: { param: 'hub.challenge', verifyTokenParam: 'hub.verify_token' } },
      },
      verifyToken: 'my-verify-token',
    });
    const ok = await post(
      `${meta.url}?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=my-verify-token`,
      '',
      {},
      'GET',
    );
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toBe('1158201444');
    const bad = await post(
      `${meta.url}?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong`,
      '',
      {},
      'GET',
    );
    expectProblem(bad, 401, 'KRX_UNAUTHENTICATED');
  });

  it('limits an endpoint to its hourly rate and applies its transform and custom response', async () => {
    const created = await endpoint({
      name: 'limited',
      rateLimit: 2,
      transformationConfig: [{ type: 'map', expression: '{ "total": amount * 2 }' }],
      responseConfig: { status: 202, headers: { 'x-ack': 'yes' }, body: { ok: true } },
    });
    const first = await post(created.url, '{"amount":21}');
    expect(first.status).toBe(202);
    expect(first.headers.get('x-ack')).toBe('yes');
    expect(first.body).toEqual({ ok: true });
    expect((await post(created.url, '{"amount":1}')).status).toBe(202);
    const limited = await post(created.url, '{"amount":1}');
    expectProblem(limited, 429, 'KRX_RATE_LIMITED');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const stored = await deliveriesOf(`endpointId=${created.id}`);
    const amounts = await Promise.all(
      stored.map(async (d) => (await admin('GET', `/deliveries/${d.id}`)).body.payload),
    );
    expect(amounts).toContainEqual({ total: 42 });
  });

  it('turns an inbound webhook into webhook.received and delivers it, signed, to a subscription', async () => {
    const source = await endpoint({
      name: 'orders',
      authenticationType: 'github',
      secretKey: 'orders-secret',
    });
    const sub = await subscription('/orders', {
      eventFilters: { expression: "data.endpointName = 'orders'" },
      headers: { 'x-team': 'billing' },
      authentication: { type: 'bearer', token: 'receiver-token' },
    });
    expect(sub.signingSecret).toMatch(/^whsec_/);
    expect(sub.authentication).toEqual({ type: 'bearer', token: '********' });

    const received: any[] = [];
    t.platform.events.subscribe('webhook.received', (event) => {
      received.push(event.data);
    });
    const body = JSON.stringify({ order: 42 });
    const headers = signForEndpoint({ type: 'github', secrets: ['orders-secret'] }, { body });
    const accepted = await post(source.url, body, { ...headers, 'x-github-delivery': 'order-42' });
    expect(accepted.status).toBe(200);
    expect(received.find((event) => event.endpointId === source.id)).toMatchObject({
      endpointName: 'orders',
      webhookId: accepted.body.id,
    });

    const [request] = await waitFor(
      () => (receiver.on('/orders').length ? receiver.on('/orders') : undefined),
      'the delivery',
    );
    expect(request.headers['user-agent']).toBe('KRYONIX-Webhook/1.0');
    expect(request.headers['x-kryonix-event']).toBe('webhook.received');
    expect(request.headers['x-kryonix-subscription']).toBe(sub.id);
    expect(request.headers['x-team']).toBe('billing');
    expect(request.headers.authorization).toBe('Bearer receiver-token');
    const verdict = await verifyInbound(
      { headers: request.headers as any, rawBody: Buffer.from(request.body), method: 'POST', url: '/orders' },
      { type: 'standard-webhooks', secrets: [sub.signingSecret] },
    );
    expect(verdict).toEqual({ ok: true, deliveryId: request.headers['webhook-id'] });
    const payload = JSON.parse(request.body);
    expect(payload).toMatchObject({
      type: 'webhook.received',
      data: { endpointName: 'orders', payload: { order: 42 } },
    });
    expect(payload.data.tenantId).toBeUndefined();

    const delivered = await waitFor(async () => {
      const [row] = await deliveriesOf(`subscriptionId=${sub.id}&status=delivered`);
      return row;
    }, 'the delivery to be recorded');
    const detail = await admin('GET', `/deliveries/${delivered.id}`);
    expect(detail.body.attempts).toHaveLength(1);
    expect(detail.body.attempts[0]).toMatchObject({ attemptNumber: 1, responseStatus: 200 });
    expect(detail.body.attempts[0].requestHeaders.authorization).toBe('[redacted]');
    expect(detail.body.messageId).toBe(request.headers['webhook-id']);
    const counters = await waitFor(async () => {
      const read = await admin('GET', `/subscriptions/${sub.id}`);
      return read.body.successCount === 1 ? read.body : undefined;
    }, 'subscription counters');
    expect(counters.lastSent).toEqual(expect.any(String));
    const endpointRead = await waitFor(async () => {
      const read = await admin('GET', `/endpoints/${source.id}`);
      return read.body.triggerCount === 1 ? read.body : undefined;
    }, 'endpoint counters');
    expect(endpointRead.lastTriggered).toEqual(expect.any(String));
  });

  it('stores every webhook that carries no delivery id, each with its outbound deliveries', async () => {
    const source = await endpoint({
      name: 'no-ids',
      authenticationType: 'github',
      secretKey: 'no-ids-secret',
    });
    await subscription('/no-ids', { eventFilters: { expression: "data.endpointName = 'no-ids'" } });
    const body = JSON.stringify({ ping: true });
    const headers = signForEndpoint({ type: 'github', secrets: ['no-ids-secret'] }, { body });
    // No X-GitHub-Delivery: nothing to deduplicate on, so the same body three times is three events.
    const answers = await Promise.all([1, 2, 3].map(() => post(source.url, body, headers)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(3);
    const arrived = await waitFor(
      () => (receiver.on('/no-ids').length >= 3 ? receiver.on('/no-ids') : undefined),
      'three deliveries',
    );
    expect(arrived.map((request) => JSON.parse(request.body).data.payload)).toEqual([
      { ping: true },
      { ping: true },
      { ping: true },
    ]);
  });

  it('delivers platform events (api.call.*) to wildcard subscriptions, rendered with the payload template', async () => {
    const sub = await subscription('/calls', {
      events: ['api.call.*'],
      payloadTemplate: { kind: '{{ type }}', connection: '{{ data.connectionId }}' },
    });
    t.platform.events.publish('api.call.success', {
      tenantId:
        (await admin('GET', `/subscriptions/${sub.id}`)).body && (t.platform as any).bootstrapTenantId
          ? ''
          : await tenantIdOf(),
      connectionId: '00000000-0000-4000-8000-000000000001',
      executionId: '00000000-0000-4000-8000-000000000002',
    });
    const [request] = await waitFor(
      () => (receiver.on('/calls').length ? receiver.on('/calls') : undefined),
      'the event delivery',
    );
    expect(JSON.parse(request.body)).toEqual({
      kind: 'api.call.success',
      connection: '00000000-0000-4000-8000-000000000001',
    });
  });

  async function tenantIdOf(): Promise<string> {
    const rows = await t.platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'");
    return rows.rows[0].id;
  }

  it('retries a receiver that fails with 500 and records every attempt', async () => {
    receiver.program('/flaky', [{ status: 500, body: 'boom' }, { status: 200 }]);
    const sub = await subscription('/flaky', { events: ['test.event'] });
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    expect(test.status).toBe(202);
    const detail = await waitFor(async () => {
      const read = await admin('GET', `/deliveries/${test.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    }, 'the retried delivery');
    expect(detail.attempts.map((a: any) => a.responseStatus)).toEqual([500, 200]);
    expect(detail.attempts[0].responseBody).toBe('boom');
    const ids = receiver.on('/flaky').map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
  });

  it('honours Retry-After on 429', async () => {
    receiver.program('/busy', [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }]);
    const sub = await subscription('/busy', { events: ['test.event'] });
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    const detail = await waitFor(async () => {
      const read = await admin('GET', `/deliveries/${test.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    }, 'the delivery after Retry-After');
    expect(detail.attempts.map((a: any) => a.responseStatus)).toEqual([429, 200]);
    const [first, second] = receiver.on('/busy');
    expect(second.at - first.at).toBeGreaterThanOrEqual(950);
  });

  it('gives a receiver that times out or resets the connection its scheduled retries and no more', async () => {
    receiver.program('/hangs', [{ status: 200, fault: 'hang' }]);
    receiver.program('/resets', [{ status: 200, fault: 'reset' }]);
    const cases = [
      {
        path: '/hangs',
        error: /KRX_DELIVERY_TIMEOUT/,
        sub: await subscription('/hangs', { events: ['test.event'], timeoutSeconds: 1 }),
      },
      {
        path: '/resets',
        error: /ECONNRESET|socket|closed/i,
        sub: await subscription('/resets', { events: ['test.event'] }),
      },
    ];
    for (const { path, error, sub } of cases) {
      const test = await admin('POST', `/subscriptions/${sub.id}/test`);
      expect(test.status).toBe(202);
      const failed = await waitFor(async () => {
        const read = await admin('GET', `/deliveries/${test.body.id}`);
        return read.body.status === 'failed' ? read.body : undefined;
      }, `${path} to fail`);
      // Three attempts (the first and the two of the schedule), each recorded with why it failed.
      expect(failed.attempts, path).toHaveLength(3);
      for (const attempt of failed.attempts) {
        expect(attempt.responseStatus, path).toBeNull();
        expect(attempt.errorMessage, path).toMatch(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const arrivals = receiver.on(path);
      expect(arrivals, path).toHaveLength(3);
      expect(new Set(arrivals.map((r) => r.headers['webhook-id'])).size, path).toBe(1);
    }
  });

  it('gives up after the last attempt (dead letter, webhook.delivery_failed) and retries on request', async () => {
    receiver.program('/down', [{ status: 503 }]);
    const failures: any[] = [];
    t.platform.events.subscribe('webhook.delivery_failed', (event) => {
      failures.push(event.data);
    });
    const sub = await subscription('/down', { events: ['test.event'] });
    const test = await admin('POST', `/subscriptions/${sub.id}/test`);
    const failed = await waitFor(async () => {
      const read = await admin('GET', `/deliveries/${test.body.id}`);
      return read.body.status === 'failed' ? read.body : undefined;
    }, 'the delivery to fail');
    expect(failed.attempts).toHaveLength(3);
    expect(receiver.on('/down')).toHaveLength(3);
    // The log finds it by text in its URL or its error, literally (`%` is no wildcard).
    const found = (q: string) => deliveriesOf(`q=${encodeURIComponent(q)}`);
    expect((await found('/DOWN')).map((d) => d.id)).toContain(test.body.id);
    expect((await found(failed.errorMessage.slice(0, 12))).map((d) => d.id)).toContain(test.body.id);
    expect(await found('%down')).toEqual([]);
    await waitFor(() => failures.find((f) => f.deliveryId === test.body.id), 'webhook.delivery_failed');

    receiver.program('/down', [{ status: 200 }]);
    const retried = await admin('POST', `/deliveries/${test.body.id}/retry`);
    expect(retried.status).toBe(202);
    const delivered = await waitFor(async () => {
      const read = await admin('GET', `/deliveries/${test.body.id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    }, 'the manual retry');
    expect(delivered.attempts.map((a: any) => a.responseStatus)).toEqual([503, 503, 503, 200]);
    expectProblem(
      await admin('POST', `/deliveries/${test.body.id}/retry`).then(async (r) => {
        // A delivered one can be re-sent too; a pending one cannot.
        expect(r.status).toBe(202);
        return admin('POST', `/deliveries/${test.body.id}/retry`);
      }),
      409,
      'KRX_CONFLICT',
    );
  });

  it('redelivers a delivery whose worker died (lease expired), with the same webhook-id', async () => {
    const sub = await subscription('/crash', { events: ['test.event'] });
    const tenantId = await tenantIdOf();
    // What a worker that claimed the row and then died leaves behind.
    const inserted = await t.platform.db.pool.query(
      `INSERT INTO webhook_deliveries (tenant_id, subscription_id, event_type, event_data, payload, target_url, status,
         attempt_number, max_attempts, message_id, next_retry_at, lease_expires_at, last_attempt_at)
       VALUES ($1, $2, 'test.event', '{}', '{"type":"test.event","data":{}}', $3, 'delivering', 1, 5, 'msg_crashsafety1',
         now(), now() - interval '1 second', now() - interval '1 minute')
       RETURNING id`,
      [tenantId, sub.id, `${receiver.url}/crash`],
    );
    const id = inserted.rows[0].id;
    const detail = await waitFor(async () => {
      const read = await admin('GET', `/deliveries/${id}`);
      return read.body.status === 'delivered' ? read.body : undefined;
    }, 'the reaped delivery');
    expect(detail.attemptNumber).toBe(2);
    expect(receiver.on('/crash')[0].headers['webhook-id']).toBe('msg_crashsafety1');
  });

  it('refuses targets the SSRF guard forbids unless allow-listed', async () => {
    for (const targetUrl of ['http://169.254.169.254/latest', 'http://10.0.0.1/hook', 'http://[::1]/hook']) {
      const refused = await admin('POST', '/subscriptions', {
        name: 'ssrf',
        targetUrl,
        events: ['test.event'],
      });
      expectProblem(refused, 403, 'KRX_TARGET_FORBIDDEN');
    }
    expectProblem(
      await admin('POST', '/subscriptions', { name: 'ftp', targetUrl: 'ftp://example.com/x', events: ['*'] }),
      400,
      'KRX_VALIDATION_FAILED',
    );
    // 127.0.0.1 is allowed here only because the test allow-lists it (KRYONIX_DANGEROUS_ALLOWED_NETWORKS).
    expect(
      (
        await admin('POST', '/subscriptions', {
          name: 'local',
          targetUrl: `${receiver.url}/x`,
          events: ['*'],
          isActive: false,
        })
      ).status,
    ).toBe(201);
  });

  it('rotates a subscription secret, signing with both during the overlap', async () => {
    const sub = await subscription('/rotated', { events: ['test.event'] });
    const rotated = await admin('POST', `/subscriptions/${sub.id}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const secret = await admin('GET', `/subscriptions/${sub.id}/secret`);
    expect(secret.body).toMatchObject({ secret: rotated.body.secret, previous: [sub.signingSecret] });
    await admin('POST', `/subscriptions/${sub.id}/test`);
    const [request] = await waitFor(
      () => (receiver.on('/rotated').length ? receiver.on('/rotated') : undefined),
      'the delivery',
    );
    for (const key of [sub.signingSecret, rotated.body.secret]) {
      const verdict = await verifyInbound(
        { headers: request.headers as any, rawBody: Buffer.from(request.body), method: 'POST', url: '/' },
        { type: 'standard-webhooks', secrets: [key] },
      );
      expect(verdict.ok).toBe(true);
    }
  });

  it('lists the event catalog and keeps tenants apart', async () => {
    const catalog = await call(t.baseUrl, 'GET', '/api/integrations/events', { key: t.adminKey });
    const types = catalog.body.items.map((item: any) => item.type);
    for (const type of [
      'api.call.success',
      'api.call.error',
      'connection.health_changed',
      'webhook.received',
      'webhook.delivery_failed',
      'webhook.subscription_disabled',
      'alert.triggered',
      'test.event',
    ]) {
      expect(types).toContain(type);
    }
    const created = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Other', slug: `other-${store}` },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${created.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'o', role: 'admin' },
    });
    const mine = await endpoint({ name: 'mine' });
    const other = (method: string, path: string) =>
      call(t.baseUrl, method, `${API}${path}`, { key: key.body.key });
    expect((await other('GET', '/endpoints')).body.items).toEqual([]);
    expect((await other('GET', `/endpoints/${mine.id}`)).status).toBe(404);
    expect((await other('GET', '/deliveries')).body.items).toEqual([]);
  });
});
