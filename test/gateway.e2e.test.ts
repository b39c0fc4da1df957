import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const SECRET = 'upstream-api-key-0123456789';

describeStores('gateway', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let connectionId: string;

  const execute = (body: Record<string, unknown>, id = connectionId, key = t.adminKey) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${id}/execute`, { key, body });

  async function createConnection(
    name: string,
    config: Record<string, unknown> = {},
    auth?: { authConfig: object; credentials: object },
  ) {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'rest',
        name,
        config: { baseUrl: `${upstream.url}/base`, retry: { attempts: 2, delayMs: 10 }, ...config },
        ...(auth ?? {
          authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
          credentials: { apiKey: SECRET },
        }),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  }

  beforeAll(async () => {
    upstream = await startUpstream();
    // The local upstream lives on loopback, which the SSRF guard refuses unless allow-listed.
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
      API_GATEWAY_MAX_PAYLOAD_SIZE: '2gb',
    });
    connectionId = await createConnection('upstream');
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  it('injects the credential upstream and never lets it reach the caller', async () => {
    const result = await execute({
      method: 'POST',
      endpoint: '/echo/users',
      data: { name: 'Ada' },
      queryParams: { q: 'a b' },
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      status: 'success',
      statusCode: 200,
      cached: false,
      executionId: expect.any(String),
    });
    expect(upstream.lastRequest?.headers['x-upstream-key']).toBe(SECRET);
    expect(upstream.lastRequest?.headers.authorization).toBeUndefined(); // the caller's platform key stays here
    expect(upstream.lastRequest?.url).toBe('/base/echo/users?q=a+b');
    expect(result.body.data.body).toBe('{"name":"Ada"}');
    // The upstream echoed the key back; the caller sees it masked.
    expect(JSON.stringify(result.body)).not.toContain(SECRET);
    expect(result.body.data.headers['x-upstream-key']).toBe('[redacted]');
  });

  it('passes upstream 4xx/5xx through as results, not gateway errors', async () => {
    const result = await execute({ method: 'GET', endpoint: '/status/404' });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: 'error', statusCode: 404, data: { error: 'as requested' } });
  });

  it('maps input and response with JSONata', async () => {
    const result = await execute({
      method: 'POST',
      endpoint: '/echo',
      data: { first: 'Ada', last: 'Lovelace' },
      inputMapping: '{ "fullName": first & " " & last }',
      responseMapping: { expression: '$eval(body)' },
    });
    expect(result.body.data).toEqual({ fullName: 'Ada Lovelace' });
  });

  it('refuses paths that would leave the base URL', async () => {
    for (const endpoint of ['/../admin', 'http://evil.test/', '//evil.test/x', '/%2e%2e/admin']) {
      const result = await execute({ method: 'GET', endpoint });
      expect(result.status, endpoint).toBe(400);
      expect(result.body.code).toBe('KRX_VALIDATION_FAILED');
    }
    expect(upstream.hits.size).toBe(0);
  });

  it('retries idempotent calls on 503, honouring Retry-After, and records the retry count', async () => {
    const result = await execute({
      method: 'GET',
      endpoint: '/flaky',
      queryParams: { fails: 2, key: 'r1', retryAfter: 0 },
    });
    expect(result.body).toMatchObject({ status: 'success', retries: 2, data: { attempts: 3 } });
    // POST is not retried without an Idempotency-Key...
    const post = await execute({ method: 'POST', endpoint: '/flaky', queryParams: { fails: 1, key: 'r2' } });
    expect(post.body).toMatchObject({ status: 'error', statusCode: 503, retries: 0 });
    // ...and is with one.
    const keyed = await call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/execute`, {
      key: t.adminKey,
      headers: { 'idempotency-key': 'k-1' },
      body: { method: 'POST', endpoint: '/flaky', queryParams: { fails: 1, key: 'r3' } },
    });
    expect(keyed.body).toMatchObject({ status: 'success', retries: 1 });
  });

  it('runs a batch in order without exceeding its concurrency at the upstream', async () => {
    const id = await createConnection('batched', { batchConcurrency: 2 });
    const requests = Array.from({ length: 8 }, (_, i) => ({
      method: 'GET',
      endpoint: '/slow',
      queryParams: { ms: 30, i },
    }));
    requests[3] = { method: 'GET', endpoint: '/status/500', queryParams: { ms: 0, i: 3 } };
    const result = await call(t.baseUrl, 'POST', `/api/v1/connections/${id}/batch`, {
      key: t.adminKey,
      body: { requests },
    });
    expect(result.status).toBe(200);
    expect(result.body.results).toHaveLength(8);
    expect(result.body.results[3]).toMatchObject({ status: 'error', statusCode: 500 });
    expect(result.body.results.filter((r: { status: string }) => r.status === 'success')).toHaveLength(7);
    expect(upstream.maxInFlight.get('/slow')).toBeLessThanOrEqual(2);
  });

  it('streams bodies through the proxy with status, headers and query preserved', async () => {
    const response = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/echo/x?a=1&b=two`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'text/plain', 'x-custom': 'yes' },
      body: 'hello',
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(echoed).toMatchObject({ method: 'PUT', url: '/base/echo/x?a=1&b=two', body: 'hello' });
    expect(echoed.headers['x-custom']).toBe('yes');
    expect(echoed.headers['x-upstream-key']).toBe('[redacted]');
    expect(upstream.lastRequest?.headers['x-upstream-key']).toBe(SECRET);
    expect(upstream.lastRequest?.headers.authorization).toBeUndefined();

    const missing = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/status/418`, {
      headers: { authorization: `Bearer ${t.adminKey}` },
    });
    expect(missing.status).toBe(418);
  });

  it('keeps memory flat while 1 GB streams through the proxy each way', async () => {
    const size = 1024 * 1024 * 1024;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    try {
      const download = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/download?bytes=${size}`, {
        headers: { authorization: `Bearer ${t.adminKey}` },
      });
      let received = 0;
      for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>)
        received += chunk.length;
      expect(received).toBe(size);

      const block = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= size) return controller.close();
          sent += block.length;
          controller.enqueue(block);
        },
      });
      const upload = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit);
      expect(await upload.json()).toEqual({ bytes: size });
    } finally {
      clearInterval(sampler);
    }
    // Buffering either body would cost at least 1 GB.
    expect(peak - before).toBeLessThan(256 * 1024 * 1024);
  }, 120_000);

  it('refuses upstream targets on private, loopback and metadata addresses', async () => {
    const guarded = await startTestPlatform(store, { RATE_LIMIT_MAX_REQUESTS: '0' });
    try {
      const targets = [
        upstream.url,
        'http://[::1]:9/',
        'http://169.254.169.254/latest/meta-data/',
        'http://0.0.0.0:9/',
        'http://[::ffff:127.0.0.1]:9/',
        'http://2130706433:9/',
        'http://0x7f000001:9/',
        'http://localhost:9/',
      ];
      for (const [i, baseUrl] of targets.entries()) {
        const created = await call(guarded.baseUrl, 'POST', '/api/integrations/connections', {
          key: guarded.adminKey,
          body: {
            connectorId: 'rest',
            name: `ssrf-${i}`,
            config: { baseUrl, retry: { attempts: 0 } },
            authConfig: { type: 'none' },
          },
        });
        expect(created.status, baseUrl).toBe(201);
        const result = await call(guarded.baseUrl, 'POST', `/api/v1/connections/${created.body.id}/execute`, {
          key: guarded.adminKey,
          body: { method: 'GET', endpoint: '/' },
        });
        expect(result.status, baseUrl).toBe(403);
        expect(result.body.code, baseUrl).toBe('KRX_TARGET_FORBIDDEN');
      }
      expect(upstream.hits.size).toBe(0);
    } finally {
      await guarded.close();
    }
  });

  it('records every call with secrets redacted', async () => {
    const result = await execute({
      method: 'POST',
      endpoint: '/echo/record',
      data: { password: 'x', note: SECRET },
      triggeredBy: 'test',
    });
    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query('SELECT * FROM api_executions WHERE id = $1', [
      result.body.executionId,
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      execution_type: 'api_call',
      method: 'POST',
      response_status: 200,
      status: 'success',
      triggered_by: 'test',
    });
    expect(rows[0].url).toBe(`${upstream.url}/base/echo/record`);
    expect(rows[0].request_headers['x-upstream-key']).toBe('[redacted]');
    expect(JSON.stringify(rows[0])).not.toContain(SECRET);
  });

  it('opens the circuit after repeated failures, fails fast, and recovers after a probe', async () => {
    const id = await createConnection('breaker', {
      retry: { attempts: 0 },
      circuitBreaker: {
        volumeThreshold: 3,
        errorThresholdPercentage: 50,
        resetTimeoutMs: 300,
        windowMs: 10_000,
      },
    });
    for (let i = 0; i < 3; i++) await execute({ method: 'GET', endpoint: '/status/500' }, id);
    const open = await execute({ method: 'GET', endpoint: '/status/500' }, id);
    expect(open.status).toBe(503);
    expect(open.body.code).toBe('KRX_CIRCUIT_OPEN');
    expect(upstream.hits.get('/status/500')).toBe(3);
    // After the reset timeout one probe goes through; its success closes the circuit.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const probe = await execute({ method: 'GET', endpoint: '/echo/ok' }, id);
    expect(probe.body.status).toBe('success');
    expect((await execute({ method: 'GET', endpoint: '/echo/ok' }, id)).body.status).toBe('success');
  });

  it('pauses a connection after an upstream 429 with Retry-After', async () => {
    const id = await createConnection('provider-limited', { retry: { attempts: 0 } });
    const limited = await execute(
      { method: 'GET', endpoint: '/status/429', queryParams: { retryAfter: 30 } },
      id,
    );
    expect(limited.body).toMatchObject({ status: 'error', statusCode: 429 });
    const paused = await execute({ method: 'GET', endpoint: '/echo/x' }, id);
    expect(paused.status).toBe(429);
    expect(paused.body.code).toBe('KRX_RATE_LIMITED');
    expect(Number(paused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(upstream.hits.get('/echo/x')).toBeUndefined();
  });

  it("does not let one tenant call another tenant's connection", async () => {
    const tenant = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
      key: t.ownerKey,
      body: { name: 'Other', slug: `other-${store}` },
    });
    const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${tenant.body.id}/api-keys`, {
      key: t.ownerKey,
      body: { name: 'k', role: 'admin' },
    });
    const result = await execute({ method: 'GET', endpoint: '/echo' }, connectionId, key.body.key);
    expect(result.status).toBe(404);
    expect(result.body.code).toBe('KRX_CONNECTION_NOT_FOUND');
    const proxied = await fetch(`${t.baseUrl}/api/v1/proxy/${connectionId}/echo`, {
      headers: { authorization: `Bearer ${key.body.key}` },
    });
    expect(proxied.status).toBe(404);
  });
});
