/**
 * The gRPC connector against real `@grpc/grpc-js` servers (test/fakes/grpc.ts): protos with imports,
 * unary and server-streaming calls, the health check, bearer metadata, TLS with a CA, deadlines, status
 * codes mapped, the SSRF guard and local imports refused, executions recorded; services read by server
 * reflection instead of uploaded protos.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeGrpc, GRPC_PROTO, GRPC_TOKEN, GRPC_TYPES_PROTO, startFakeGrpc } from './fakes/grpc.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: grpc', (store) => {
  let t: TestPlatform;
  let plain: FakeGrpc;
  let tls: FakeGrpc;
  let reflecting: FakeGrpc;

  const protos = { proto: GRPC_PROTO, protoFiles: { 'demo/v1/types.proto': GRPC_TYPES_PROTO } };
  const connect = async (name: string, config: Record<string, unknown>, auth?: Record<string, unknown>) => {
    const { token, ...authConfig } = auth ?? { type: 'none' };
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'grpc',
        name,
        config: { ...protos, ...config },
        authConfig,
        ...(token !== undefined ? { credentials: { token } } : {}),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run, test } = connectionCalls(() => t);
  const execution = async (executionId: string) => {
    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT status, url, response_status, error_message FROM api_executions WHERE id = $1',
      [executionId],
    );
    return rows[0];
  };

  beforeAll(async () => {
    plain = await startFakeGrpc();
    tls = await startFakeGrpc({ tls: true });
    reflecting = await startFakeGrpc({ reflection: true });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await plain?.close();
    await tls?.close();
    await reflecting?.close();
  });

  it('checks health, lists methods and makes unary and server-streaming calls', async () => {
    const id = await connect('greeter', {
      address: `127.0.0.1:${plain.port}`,
      metadata: { 'x-tenant': 'acme' },
    });
    const tested = await test(id);
    expect(tested.body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toContain('SERVING');

    const listed = await run(id, 'listMethods', {});
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data.methods).toContainEqual({
      service: 'demo.v1.Greeter',
      method: 'CountTo',
      path: '/demo.v1.Greeter/CountTo',
      requestType: 'CountRequest',
      responseType: 'Count',
      requestStream: false,
      responseStream: true,
    });

    const hello = await run(id, 'call', {
      service: 'Greeter',
      method: 'SayHello',
      request: { name: 'Ada', times: '9007199254740993', mood: 'HAPPY' },
    });
    expect(hello.status, JSON.stringify(hello.body)).toBe(200);
    expect(hello.body.data.response).toEqual({
      message: 'Hello, Ada!',
      times: '18014398509481986',
      mood: 'HAPPY',
      at: { seconds: '1700000000', nanos: 0 },
    });
    expect(plain.calls.at(-1)?.metadata['x-tenant']).toBe('acme');
    expect((await execution(hello.body.executionId)).status).toBe('success');

    const counted = await run(id, 'call', {
      service: 'demo.v1.Greeter',
      method: 'CountTo',
      request: { to: 3 },
    });
    expect(counted.body.data).toEqual({ messages: [{ n: 1 }, { n: 2 }, { n: 3 }], truncated: false });
    const capped = await run(id, 'call', {
      service: 'Greeter',
      method: 'CountTo',
      request: { to: 1000 },
      maxMessages: 5,
    });
    expect(capped.body.data.messages).toHaveLength(5);
    expect(capped.body.data.truncated).toBe(true);
  });

  it('maps status codes: user errors, operational errors, deadlines', async () => {
    const id = await connect('greeter-errors', { address: `127.0.0.1:${plain.port}`, timeoutMs: 1000 });
    const fail = (code: number, message: string) =>
      run(id, 'call', { service: 'Greeter', method: 'Fail', request: { code, message } });

    const invalid = await fail(3, 'name is required');
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      code: 'KRX_UPSTREAM_REJECTED',
      upstreamError: 'INVALID_ARGUMENT',
      upstreamMessage: 'name is required',
      grpcCode: 3,
    });
    expect((await execution(invalid.body.executionId)).error_message).toContain('name is required');
    expect((await fail(5, 'no such greeting')).body.code).toBe('KRX_UPSTREAM_REJECTED');
    expect((await fail(7, 'not yours')).body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    const unavailable = await fail(14, 'draining');
    expect(unavailable.status).toBe(502);
    expect(unavailable.body).toMatchObject({
      code: 'KRX_UPSTREAM_UNREACHABLE',
      upstreamError: 'UNAVAILABLE',
    });
    expect((await fail(8, 'quota')).body.code).toBe('KRX_RATE_LIMITED');
    expect((await fail(13, 'boom')).body.code).toBe('KRX_UPSTREAM_ERROR');

    const slow = await run(id, 'call', { service: 'Greeter', method: 'Slow', request: { ms: 5000 } });
    expect(slow.status).toBe(504);
    expect(slow.body).toMatchObject({ code: 'KRX_UPSTREAM_TIMEOUT', upstreamError: 'DEADLINE_EXCEEDED' });

    const badRequest = await run(id, 'call', {
      service: 'Greeter',
      method: 'SayHello',
      request: 'Ada',
    });
    expect(badRequest.status).toBe(400);
    const noService = await run(id, 'call', { service: 'Nobody', method: 'SayHello', request: {} });
    expect(noService.status).toBe(400);
    expect(noService.body.detail).toContain('demo.v1.Greeter');
    const unknown = await run(id, 'call', { service: 'Greeter', method: 'Nope', request: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('SayHello');

    const closed = await connect('closed', { address: '127.0.0.1:9' });
    const refused = await run(closed, 'call', { service: 'Greeter', method: 'SayHello', request: {} });
    expect(refused.body.code).toBe('KRX_UPSTREAM_UNREACHABLE');
    expect((await test(closed)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
  });

  it('sends the bearer token as metadata and surfaces a refused one', async () => {
    const id = await connect(
      'bearer',
      { address: `127.0.0.1:${plain.port}` },
      { type: 'bearer', token: GRPC_TOKEN },
    );
    const me = await run(id, 'call', {
      service: 'Greeter',
      method: 'WhoAmI',
      request: {},
      metadata: { 'x-tenant': 't1' },
    });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.data.response).toEqual({ authorization: `Bearer ${GRPC_TOKEN}`, tenant: 't1' });

    const wrong = await connect(
      'bearer-wrong',
      { address: `127.0.0.1:${plain.port}` },
      { type: 'bearer', token: 'nope' },
    );
    const refused = await run(wrong, 'call', { service: 'Greeter', method: 'WhoAmI', request: {} });
    expect(refused.status).toBe(424);
    expect(refused.body).toMatchObject({
      code: 'KRX_UPSTREAM_AUTH_FAILED',
      upstreamError: 'UNAUTHENTICATED',
    });
    expect(JSON.stringify(refused.body)).not.toContain('nope');
  });

  it('connects with TLS, trusting the configured CA', async () => {
    const id = await connect('tls', { address: `127.0.0.1:${tls.port}`, tls: true, caCert: tls.cert });
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const hello = await run(id, 'call', { service: 'Greeter', method: 'SayHello', request: { name: 'TLS' } });
    expect(hello.status, JSON.stringify(hello.body)).toBe(200);
    expect(hello.body.data.response.message).toBe('Hello, TLS!');

    const untrusted = await connect('tls-untrusted', { address: `127.0.0.1:${tls.port}`, tls: true });
    const refused = await run(untrusted, 'call', { service: 'Greeter', method: 'SayHello', request: {} });
    expect(refused.body.code).toBe('KRX_UPSTREAM_UNREACHABLE');
  });

  it('refuses forbidden targets and imports of local files', async () => {
    const metadata = await connect('metadata', { address: '169.254.169.254:50051' });
    const forbidden = await run(metadata, 'listMethods', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('KRX_TARGET_FORBIDDEN');

    const sneaky = await connect('sneaky', {
      address: `127.0.0.1:${plain.port}`,
      proto: 'syntax = "proto3";\nimport "/etc/passwd";\n',
      protoFiles: undefined,
    });
    const refused = await run(sneaky, 'listMethods', {});
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('/etc/passwd');
    expect(refused.body.detail).toContain('neither an uploaded file');
    const hidden = await connect('hidden', {
      address: `127.0.0.1:${plain.port}`,
      proto: 'syntax = "proto3";\nimport/* hi */"/etc/passwd";\n',
      protoFiles: undefined,
    });
    expect((await run(hidden, 'listMethods', {})).status).toBe(400);
  });

  it('reads the services by server reflection, and says so when the server has none', async () => {
    const reflected = { proto: undefined, protoFiles: undefined, reflection: true };
    const id = await connect(
      'reflected',
      { ...reflected, address: `127.0.0.1:${reflecting.port}` },
      { type: 'bearer', token: GRPC_TOKEN },
    );
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    // The reflection stream carries the connection's auth like any call.
    const asked = reflecting.calls.filter((c) => c.method === 'ServerReflectionInfo');
    expect(asked.at(-1)?.metadata.authorization).toBe(`Bearer ${GRPC_TOKEN}`);

    const listed = await run(id, 'listMethods', {});
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data.methods).toContainEqual({
      service: 'demo.v1.Greeter',
      method: 'SayHello',
      path: '/demo.v1.Greeter/SayHello',
      requestType: 'HelloRequest',
      responseType: 'HelloReply',
      requestStream: false,
      responseStream: false,
    });
    const hello = await run(id, 'call', {
      service: 'Greeter',
      method: 'SayHello',
      request: { name: 'Grace', times: '21', mood: 'GRUMPY' },
    });
    expect(hello.status, JSON.stringify(hello.body)).toBe(200);
    expect(hello.body.data.response).toEqual({
      message: 'Hello, Grace!',
      times: '42',
      mood: 'GRUMPY',
      at: { seconds: '1700000000', nanos: 0 },
    });
    expect((await execution(hello.body.executionId)).status).toBe('success');
    // Cached with the connection: listMethods and call did not ask the reflection service again.
    expect(reflecting.calls.filter((c) => c.method === 'ServerReflectionInfo')).toHaveLength(asked.length);

    const none = await connect('no-reflection', { ...reflected, address: `127.0.0.1:${plain.port}` });
    const refused = await run(none, 'listMethods', {});
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'UNIMPLEMENTED' });
    expect(refused.body.detail).toContain('the server does not offer gRPC reflection; upload .proto files');

    const both = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'grpc',
        name: 'both',
        config: { ...protos, reflection: true, address: `127.0.0.1:${plain.port}` },
        authConfig: { type: 'none' },
      },
    });
    expect(both.status).toBe(400);
  });
});
