/**
 * The SOAP connector against a real SOAP server (`soap.listen`, test/fakes/soap.ts): WSDL by URL and
 * uploaded, SOAP 1.1 and 1.2, faults as clear errors, WS-Security and Basic auth, endpoint override,
 * the SSRF guard and local-file imports refused, executions recorded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSoap, SOAP_USER, startFakeSoap } from './fakes/soap.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: soap', (store) => {
  let t: TestPlatform;
  let soap: FakeSoap;

  const connect = async (name: string, config: Record<string, unknown>, auth?: Record<string, unknown>) => {
    const { password, ...authConfig } = auth ?? { type: 'none' };
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'soap',
        name,
        config,
        authConfig,
        ...(password !== undefined ? { credentials: { password } } : {}),
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
    soap = await startFakeSoap();
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await soap?.close();
  });

  it('loads a WSDL by URL, lists its operations and calls them over SOAP 1.1', async () => {
    const id = await connect('calc', { wsdlUrl: `${soap.baseUrl}/calc11?wsdl` });
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });

    const listed = await run(id, 'listOperations', {});
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const [service] = listed.body.data.services;
    expect(service.name).toBe('CalculatorService');
    expect(service.ports[0]).toMatchObject({
      name: 'CalculatorPort',
      soapVersion: '1.1',
      endpoint: `${soap.baseUrl}/calc11`,
    });
    expect(service.ports[0].operations.map((o: { name: string }) => o.name)).toEqual([
      'Add',
      'Divide',
      'Lookup',
    ]);
    expect(service.ports[0].operations[0].input).toMatchObject({ a: 'xsd:int', b: 'xsd:int' });

    const added = await run(id, 'call', { operation: 'Add', input: { a: 2, b: 3 } });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data).toMatchObject({
      output: { result: 5 },
      service: 'CalculatorService',
      port: 'CalculatorPort',
      soapVersion: '1.1',
    });
    const sent = soap.requests.filter((r) => r.path === '/calc11' && r.body.includes('AddRequest')).at(-1)!;
    expect(sent.headers['content-type']).toContain('text/xml');
    expect(sent.headers.soapaction).toBe('"http://example.com/calculator/Add"');
    expect(sent.body).toContain('http://schemas.xmlsoap.org/soap/envelope/');
    expect((await execution(added.body.executionId)).status).toBe('success');

    const found = await run(id, 'call', {
      service: 'CalculatorService',
      port: 'CalculatorPort',
      operation: 'Lookup',
      input: { name: 'ada' },
    });
    expect(found.body.data.output).toEqual({
      customer: { id: 1, name: 'Ada Lovelace', tags: ['math', 'poetry'] },
    });
  });

  it('maps SOAP 1.1 faults and bad calls to clear errors', async () => {
    const id = await connect('calc-faults', { wsdlUrl: `${soap.baseUrl}/calc11?wsdl` });
    const divided = await run(id, 'call', { operation: 'Divide', input: { a: 1, b: 0 } });
    expect(divided.status).toBe(422);
    expect(divided.body).toMatchObject({
      code: 'KRX_UPSTREAM_REJECTED',
      upstreamStatus: 500,
      upstreamError: 'soap:Client',
      upstreamMessage: 'Division by zero',
    });
    expect(divided.body.detail).toBe('SOAP fault soap:Client: Division by zero');
    expect(divided.body.faultDetail).toContain('Division by zero');
    const row = await execution(divided.body.executionId);
    expect(row).toMatchObject({ status: 'failed', response_status: 422 });
    expect(row.error_message).toContain('Division by zero');

    const server = await run(id, 'call', { operation: 'Lookup', input: { name: 'bob' } });
    expect(server.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'soap:Server' });
    expect(server.body.detail).toContain('No customer named bob');

    const unknown = await run(id, 'call', { operation: 'Multiply', input: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toContain('Add, Divide, Lookup');
    const noService = await run(id, 'call', { service: 'Nope', operation: 'Add', input: {} });
    expect(noService.status).toBe(400);
    expect(noService.body.detail).toContain('CalculatorService');
  });

  it('calls SOAP 1.2 from an uploaded WSDL, with Sender faults mapped', async () => {
    const id = await connect('calc12', { wsdl: soap.wsdl('calc12') });
    const listed = await run(id, 'listOperations', {});
    expect(listed.body.data.services[0].ports[0].soapVersion).toBe('1.2');

    const added = await run(id, 'call', { operation: 'Add', input: { a: 40, b: 2 } });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data).toMatchObject({ output: { result: 42 }, soapVersion: '1.2' });
    const sent = soap.requests.filter((r) => r.path === '/calc12').at(-1)!;
    expect(sent.headers['content-type']).toContain('application/soap+xml');
    expect(sent.headers['content-type']).toContain('action="http://example.com/calculator/Add"');
    expect(sent.body).toContain('http://www.w3.org/2003/05/soap-envelope');

    const divided = await run(id, 'call', { operation: 'Divide', input: { a: 1, b: 0 } });
    expect(divided.status).toBe(422);
    expect(divided.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamStatus: 400 });
    expect(divided.body.upstreamError).toContain('soap:Sender');
    expect(divided.body.upstreamMessage).toBe('Division by zero');
  });

  it('overrides the endpoint of the WSDL', async () => {
    const wsdl = soap.wsdl('calc11').replace(`${soap.baseUrl}/calc11`, 'http://127.0.0.1:9/nowhere');
    const id = await connect('calc-override', { wsdl, endpoint: `${soap.baseUrl}/calc11` });
    const added = await run(id, 'call', { operation: 'Add', input: { a: 1, b: 1 } });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data.output).toEqual({ result: 2 });
    const listed = await run(id, 'listOperations', {});
    expect(listed.body.data.services[0].ports[0].endpoint).toBe(`${soap.baseUrl}/calc11`);

    const dead = await connect('calc-dead', {
      wsdl: soap.wsdl('calc11'),
      endpoint: 'http://127.0.0.1:9/nowhere',
    });
    const refused = await run(dead, 'call', { operation: 'Add', input: { a: 1, b: 1 } });
    expect(refused.status).toBe(502);
    expect(refused.body.code).toBe('KRX_UPSTREAM_UNREACHABLE');
  });

  it('sends a WS-Security UsernameToken and surfaces a refused one', async () => {
    const config = {
      wsdlUrl: `${soap.baseUrl}/secure?wsdl`,
      testOperation: { operation: 'Add', input: { a: 1, b: 2 } },
    };
    const id = await connect('secure', config, {
      type: 'ws_security',
      username: SOAP_USER.username,
      password: SOAP_USER.password,
    });
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const added = await run(id, 'call', { operation: 'Add', input: { a: 5, b: 6 } });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data.output).toEqual({ result: 11 });
    const sent = soap.requests.filter((r) => r.path === '/secure').at(-1)!;
    expect(sent.body).toContain('UsernameToken');
    expect(sent.body).toContain('wsu:Timestamp');
    expect(sent.headers.authorization).toBeUndefined();

    const wrong = await connect('secure-wrong', config, {
      type: 'ws_security',
      username: SOAP_USER.username,
      password: 'nope',
    });
    const refused = await run(wrong, 'call', { operation: 'Add', input: { a: 5, b: 6 } });
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.detail).toContain('Invalid username or password');
    expect(JSON.stringify(refused.body)).not.toContain('nope');
    expect((await test(wrong)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
  });

  it('sends HTTP Basic auth, for the WSDL and the calls', async () => {
    const config = { wsdlUrl: `${soap.baseUrl}/basic?wsdl` };
    const id = await connect('basic', config, { type: 'basic', ...SOAP_USER });
    const added = await run(id, 'call', { operation: 'Add', input: { a: 7, b: 8 } });
    expect(added.status, JSON.stringify(added.body)).toBe(200);
    expect(added.body.data.output).toEqual({ result: 15 });

    const wrong = await connect('basic-wrong', config, {
      type: 'basic',
      username: 'alice',
      password: 'nope',
    });
    const refused = await run(wrong, 'listOperations', {});
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
  });

  it('refuses forbidden targets and local-file imports', async () => {
    const metadata = await connect('metadata', { wsdlUrl: 'http://169.254.169.254/latest/wsdl' });
    const forbidden = await run(metadata, 'listOperations', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('KRX_TARGET_FORBIDDEN');

    const sneaky = soap
      .wsdl('calc11')
      .replace(
        '<xsd:schema targetNamespace',
        '<xsd:schema><xsd:import namespace="urn:x" schemaLocation="/etc/passwd"/></xsd:schema><xsd:schema targetNamespace',
      );
    const local = await connect('local-import', { wsdl: sneaky });
    const refused = await run(local, 'listOperations', {});
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('only absolute http(s) locations');

    const bad = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'soap',
        name: 'file-url',
        config: { wsdlUrl: 'file:///etc/passwd' },
        authConfig: { type: 'none' },
      },
    });
    expect(bad.status).toBe(400);
  });
});
