/**
 * Pipelines stored on a connection and on its endpoints, run by the gateway around execute calls, and
 * their step runs in data_transformations (here API_TRANSFORM_RECORD=all; the default keeps only
 * failed runs, see src/gateway/step-records.test.ts).
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const API = '/api/integrations';

describeStores('gateway pipelines', (store) => {
  let t: TestPlatform;
  let upstream: UpstreamFake;
  let connectionId: string;

  const admin = (method: string, path: string, body?: unknown) =>
    call(t.baseUrl, method, `${API}${path}`, { key: t.adminKey, body });
  const execute = (body: Record<string, unknown>) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/execute`, { key: t.adminKey, body });

  async function stepRows(executionId: string) {
    await t.platform.executionLog.flush();
    const rows = await t.platform.db.pool.query(
      `SELECT transformation_type, transformer_name, status, input_data, output_data, error_message
         FROM data_transformations WHERE execution_id = $1 ORDER BY created_at`,
      [executionId],
    );
    return rows.rows;
  }

  beforeAll(async () => {
    upstream = await startUpstream();
    t = await startTestPlatform(store, {
      KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
      RATE_LIMIT_MAX_REQUESTS: '0',
      API_TRANSFORM_RECORD: 'all',
    });
    const created = await admin('POST', '/connections', {
      connectorId: 'rest',
      name: 'shaped',
      config: { baseUrl: `${upstream.url}/base` },
      transformations: {
        request: [{ type: 'map', name: 'shout', expression: '{ "name": $uppercase(name) }' }],
        response: [{ type: 'map', name: 'pick', expression: '{ "sent": $parseJson(body), "path": url }' }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    connectionId = created.body.id;
    expect(created.body.transformations.request[0]).toMatchObject({ type: 'map', name: 'shout' });
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
  });
  beforeEach(() => upstream.reset());

  it("runs the connection's request and response pipelines around a call, recording each step", async () => {
    const result = await execute({
      method: 'POST',
      endpoint: '/echo/users',
      data: { name: 'ada', extra: 1 },
    });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    // The echo shows what the upstream received: the request pipeline's output.
    expect(result.body.data).toEqual({ sent: { name: 'ADA' }, path: '/base/echo/users' });

    const rows = await stepRows(result.body.executionId);
    expect(rows.map((row) => `${row.transformer_name}:${row.status}`).sort()).toEqual([
      'pick:success',
      'shout:success',
    ]);
    const shout = rows.find((row) => row.transformer_name === 'shout');
    expect(shout.input_data).toEqual({ name: 'ada', extra: 1 });
    expect(shout.output_data).toEqual({ name: 'ADA' });
  });

  it("uses a matching endpoint's pipelines, bodyTemplate and responseMapping instead of the connection's", async () => {
    const created = await admin('POST', `/connections/${connectionId}/endpoints`, {
      endpointName: 'create order',
      endpointUrl: '/echo/orders/{id}',
      httpMethod: 'POST',
      bodyTemplate: { order: { total: '{{ amount * 2 }}' } },
      transformations: { request: [{ type: 'validate', schema: { required: ['order'] } }] },
      responseMapping: {
        fields: [
          { from: 'method', to: 'verb' },
          { from: 'body', to: 'sent', transform: 'json' },
        ],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);

    const matched = await execute({ method: 'POST', endpoint: '/echo/orders/42?x=1', data: { amount: 5 } });
    expect(matched.body.data).toEqual({ verb: 'POST', sent: { order: { total: 10 } } });
    await t.platform.executionLog.flush();
    const execution = await t.platform.db.pool.query('SELECT endpoint_id FROM api_executions WHERE id = $1', [
      matched.body.executionId,
    ]);
    expect(execution.rows[0].endpoint_id).toBe(created.body.id);
    // Rows of one call can share a timestamp, so they are compared as a set.
    const steps = await stepRows(matched.body.executionId);
    expect(steps.map((row) => row.transformation_type).sort()).toEqual(['map', 'template', 'validate']);
    expect(steps.find((row) => row.transformation_type === 'template').output_data).toEqual({
      order: { total: 10 },
    });

    // Another method or path falls back to the connection's pipelines.
    const other = await execute({ method: 'PUT', endpoint: '/echo/orders/42', data: { name: 'bo' } });
    expect(other.body.data.sent).toEqual({ name: 'BO' });

    // A change takes effect on the next call (the gateway drops what it compiled).
    const patched = await admin('PATCH', `/connections/${connectionId}/endpoints/${created.body.id}`, {
      responseMapping: '{ "verb": $lowercase(method) }',
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const after = await execute({ method: 'POST', endpoint: '/echo/orders/7', data: { amount: 1 } });
    expect(after.body.data).toEqual({ verb: 'post' });
  });

  it('refuses a call whose request pipeline filters it out, and records a failing step with its error', async () => {
    const created = await admin('POST', `/connections/${connectionId}/endpoints`, {
      endpointName: 'guarded',
      endpointUrl: '/echo/guarded',
      httpMethod: 'POST',
      transformations: {
        request: [{ type: 'filter', where: { field: 'amount', op: 'gt', value: 100 } }],
        response: [{ type: 'validate', schema: { required: ['never'] } }],
      },
    });
    expect(created.status).toBe(201);

    const filtered = await execute({ method: 'POST', endpoint: '/echo/guarded', data: { amount: 5 } });
    expect(filtered.status).toBe(422);
    expect(filtered.body).toMatchObject({
      code: 'KRX_TRANSFORM_FAILED',
      detail: expect.stringMatching(/nothing was sent/),
    });
    expect(upstream.hits.size).toBe(0);

    const failing = await execute({ method: 'POST', endpoint: '/echo/guarded', data: { amount: 500 } });
    expect(failing.status).toBe(422);
    expect(failing.body).toMatchObject({ code: 'KRX_TRANSFORM_FAILED', stepType: 'validate' });
    const rows = await stepRows(failing.body.executionId);
    expect(rows.map((row) => `${row.transformation_type}:${row.status}`).sort()).toEqual([
      'filter:success',
      'validate:failed',
    ]);
    expect(rows.find((row) => row.status === 'failed').error_message).toMatch(/never/);
  });

  it('refuses stored pipelines, templates and mappings that do not compile, naming the path', async () => {
    const badConnection = await admin('PATCH', `/connections/${connectionId}`, {
      transformations: { request: [{ type: 'map', expression: '{"a": ' }] },
    });
    expect(badConnection.status).toBe(400);
    expect(badConnection.body.errors[0].path).toBe('/transformations/request/0/expression');

    const endpoints = `/connections/${connectionId}/endpoints`;
    const base = { endpointName: 'bad', endpointUrl: '/x', httpMethod: 'GET' };
    const badTemplate = await admin('POST', endpoints, { ...base, bodyTemplate: { a: '{{ 1 + }}' } });
    expect(badTemplate.status).toBe(400);
    expect(badTemplate.body.errors[0].path).toMatch(/^\/bodyTemplate\/a/);
    const badMapping = await admin('POST', endpoints, { ...base, responseMapping: 5 });
    expect(badMapping.status).toBe(400);
    expect(badMapping.body.errors[0].path).toBe('/responseMapping');
    const badSteps = await admin('POST', endpoints, {
      ...base,
      transformations: { response: [{ type: 'validate', schema: { type: 'nope' } }] },
    });
    expect(badSteps.status).toBe(400);
    expect(badSteps.body.errors[0].path).toMatch(/^\/transformations\/response\/0\/schema/);
  });

  it("records an inbound webhook's pipeline steps with no execution", async () => {
    const endpoint = await admin('POST', '/webhooks/endpoints', {
      name: 'pipelined',
      transformationConfig: [{ type: 'map', name: 'double', expression: '{ "total": amount * 2 }' }],
    });
    expect(endpoint.status).toBe(201);
    const received = await call(t.baseUrl, 'POST', endpoint.body.url, { body: { amount: 21 } });
    expect(received.status).toBe(200);
    await t.platform.executionLog.flush();
    const rows = await t.platform.db.pool.query(
      `SELECT execution_id, status, output_data FROM data_transformations WHERE transformer_name = 'double'`,
    );
    expect(rows.rows).toEqual([{ execution_id: null, status: 'success', output_data: { total: 42 } }]);
  });
});
