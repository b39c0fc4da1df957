import { afterAll, beforeAll, expect, it } from 'vitest';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { expectValidExposition } from './support/prometheus.js';
import { describeStores } from './support/stores.js';

const METRICS_TOKEN = 'scrape-token-0123456789';

/** The value of one sample line `name{labels} value`, matched on the labels given. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describeStores('monitoring: /metrics', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let connectionId: string;

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
      KRYONIX_METRICS_TOKEN: METRICS_TOKEN,
    });
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'rest',
        name: 'metrics-upstream',
        config: { baseUrl: `${upstream.url}/base`, retry: { attempts: 1 } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connectionId = created.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });

  const scrape = (token = METRICS_TOKEN) =>
    fetch(`${t.baseUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('refuses a scrape without the metrics token', async () => {
    expect((await scrape('')).status).toBe(401);
    expect((await scrape('wrong')).status).toBe(401);
    // An API key is not the metrics token.
    expect((await scrape(t.adminKey)).status).toBe(401);
  });

  it('counts calls by connection and status class, latency, errors and process metrics', async () => {
    const execute = (endpoint: string) =>
      call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/execute`, {
        key: t.adminKey,
        body: { method: 'GET', endpoint },
      });
    for (let i = 0; i < 3; i++) expect((await execute('/echo')).status).toBe(200);
    await execute('/status/500');
    await execute('/status/404');
    const proxied = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/echo`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    await proxied.arrayBuffer();

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await response.text();

    const labels = { connection_id: connectionId, type: 'api_call' };
    expect(sample(text, 'kryonix_gateway_requests_total', { ...labels, status_class: '2xx' })).toBe(3);
    expect(sample(text, 'kryonix_gateway_requests_total', { ...labels, status_class: '5xx' })).toBe(1);
    expect(sample(text, 'kryonix_gateway_requests_total', { ...labels, status_class: '4xx' })).toBe(1);
    expect(
      sample(text, 'kryonix_gateway_requests_total', { connection_id: connectionId, type: 'proxy' }),
    ).toBe(1);
    expect(
      sample(text, 'kryonix_gateway_errors_total', { connection_id: connectionId, status_class: '5xx' }),
    ).toBe(1);
    expect(sample(text, 'kryonix_gateway_request_duration_seconds_count', { type: 'api_call' })).toBe(5);
    expect(
      sample(text, 'kryonix_gateway_request_duration_seconds_bucket', { type: 'api_call', le: '+Inf' }),
    ).toBe(5);
    expect(sample(text, 'kryonix_gateway_response_bytes_total')).toBeGreaterThan(0);
    expect(sample(text, 'kryonix_webhook_queue_depth', { status: 'pending' })).toBe(0);
    expect(sample(text, 'kryonix_webhook_queue_oldest_age_seconds')).toBe(0);
    expect(sample(text, 'kryonix_execution_log_dropped_total')).toBe(0);
    expect(text).toContain('# TYPE kryonix_gateway_request_duration_seconds histogram');
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // Bounded labels: no URL or path ever becomes a label.
    expect(text).not.toContain('/echo');
  });

  it('counts webhook delivery attempts by outcome', async () => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/webhooks/subscriptions', {
      key: t.adminKey,
      body: {
        name: 'flaky receiver',
        targetUrl: `${upstream.url}/flaky?key=metrics&fails=1`,
        events: ['test.event'],
        retryConfig: { schedule: [0.05] },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const sent = await call(
      t.baseUrl,
      'POST',
      `/api/integrations/webhooks/subscriptions/${created.body.id}/test`,
      { key: t.adminKey },
    );
    expect(sent.status, JSON.stringify(sent.body)).toBeLessThan(300);
    // The first attempt fails and is rescheduled, the second is delivered.
    await expect
      .poll(
        async () =>
          sample(await (await scrape()).text(), 'kryonix_webhook_delivery_attempts_total', {
            outcome: 'delivered',
          }),
        {
          timeout: 15_000,
        },
      )
      .toBe(1);
    const text = await (await scrape()).text();
    expect(sample(text, 'kryonix_webhook_delivery_attempts_total', { outcome: 'retry_scheduled' })).toBe(1);
    expect(sample(text, 'kryonix_webhook_delivery_attempts_total', { outcome: 'failed' })).toBe(0);
  });

  it('is valid exposition format', async () => {
    expectValidExposition(await (await scrape()).text());
  });
});
