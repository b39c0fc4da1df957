/**
 * The Salesforce connector end to end through the platform's HTTP API, against a local Salesforce
 * (login server + instance server on another origin): the password, client-credentials and JWT bearer
 * flows, instance_url, SOQL with nextRecordsUrl, record CRUD and upsert, array errors, one refresh on
 * a 401, and the API limit read from Sforce-Limit-Info (on the test result, as /metrics gauges, and
 * enforced once used up).
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSalesforce, startFakeSalesforce } from './fakes/salesforce.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

const CLIENT = { clientId: '3MVG9-consumer-key', clientSecret: 'consumer-secret' };
const USER = { username: 'integration@kryonix.example', password: 'pa55word', securityToken: 'TOKEN42' };

describeStores('connectors: Salesforce', (store) => {
  let t: TestPlatform;
  let sf: FakeSalesforce;
  let privateKey: string;
  let mainId: string;

  const connect = async (name: string, authConfig: object, credentials: object, config: object = {}) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'salesforce',
        name,
        config: { apiVersion: '62.0', retry: { attempts: 1, delayMs: 10 }, ...config },
        authConfig,
        credentials,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const passwordConnection = (name: string, password = USER.password, config: object = {}) =>
    connect(
      name,
      { type: 'oauth2_password', tokenUrl: sf.tokenUrl, clientId: CLIENT.clientId, username: USER.username },
      { clientSecret: CLIENT.clientSecret, password, securityToken: USER.securityToken },
      config,
    );
  const { run, test } = connectionCalls(() => t);

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256', { extractable: true });
    privateKey = await exportPKCS8(keys.privateKey);
    sf = await startFakeSalesforce({
      ...CLIENT,
      username: USER.username,
      password: `${USER.password}${USER.securityToken}`,
      jwtPublicKey: await exportSPKI(keys.publicKey),
      accounts: 450,
    });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    mainId = await passwordConnection('sf-main');
  });
  afterAll(async () => {
    await t?.close();
    await sf?.close();
  });

  it('is in the catalog with its actions and auth methods', async () => {
    const connector = await call(t.baseUrl, 'GET', '/api/integrations/connectors/salesforce', {
      key: t.adminKey,
    });
    expect(connector.status).toBe(200);
    expect(connector.body.actions.map((a: { name: string }) => a.name)).toEqual([
      'query',
      'getRecord',
      'createRecord',
      'updateRecord',
      'deleteRecord',
      'upsertRecord',
    ]);
    const methods = connector.body.authSchema.oneOf.map((m: any) => m.properties.type.const);
    expect(methods).toEqual(['oauth2_password', 'oauth2_client_credentials', 'jwt_bearer']);
  });

  it("tests the connection on the token's instance_url with the pinned API version", async () => {
    const tested = await test(mainId);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.details).toMatchObject({ instanceUrl: sf.instanceUrl, apiVersion: '62.0' });
    expect(tested.body.details.apiUsage.max).toBe(5000);
    expect(sf.hits['GET /services/data/v62.0/']).toBeGreaterThanOrEqual(1);
    expect(sf.issued.password).toBe(1);

    const old = await passwordConnection('sf-old-version', USER.password, { apiVersion: '41.0' });
    const failed = await test(old);
    expect(failed.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
    expect(failed.body.message).toContain('NOT_FOUND');
  });

  it('follows nextRecordsUrl through every batch, or stops at the limit and says where to resume', async () => {
    const all = await run(mainId, 'query', { soql: 'SELECT Id, Name FROM Account', batchSize: 200 });
    expect(all.status, JSON.stringify(all.body).slice(0, 500)).toBe(200);
    expect(all.body.data).toMatchObject({ totalSize: 450, done: true, batches: 3 });
    expect(all.body.data.records).toHaveLength(450);
    expect(all.body.data.records[0]).toMatchObject({ attributes: { type: 'Account' }, Name: 'Account 1' });
    expect(sf.lastHeaders['sforce-query-options']).toBe('batchSize=200');
    expect(sf.lastHeaders.authorization).toMatch(/^Bearer 00D/);

    const some = await run(mainId, 'query', {
      soql: 'SELECT Id FROM Account',
      batchSize: 200,
      limit: 300,
    });
    expect(some.body.data).toMatchObject({ done: false, batches: 2 });
    expect(some.body.data.records).toHaveLength(400);
    expect(some.body.data.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g/);
    const rest = await run(mainId, 'query', { nextRecordsUrl: some.body.data.nextRecordsUrl });
    expect(rest.body.data).toMatchObject({ done: true, batches: 1 });
    expect(rest.body.data.records).toHaveLength(50);

    const filtered = await run(mainId, 'query', {
      soql: "SELECT Id, Name FROM Account WHERE Name = 'Account 7'",
    });
    expect(filtered.body.data).toMatchObject({ totalSize: 1, done: true, records: [{ Name: 'Account 7' }] });
  });

  it('creates, reads, updates, upserts and deletes records', async () => {
    const created = await run(mainId, 'createRecord', {
      sobject: 'Account',
      fields: { Name: 'Kryonix Ltd', Industry: 'Technology' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.data).toMatchObject({ success: true, errors: [] });
    const id = created.body.data.id as string;
    expect(id).toMatch(/^001/);

    const read = await run(mainId, 'getRecord', { sobject: 'Account', id, fields: ['Name', 'Industry'] });
    expect(read.body.data).toMatchObject({ Id: id, Name: 'Kryonix Ltd', Industry: 'Technology' });

    const updated = await run(mainId, 'updateRecord', {
      sobject: 'Account',
      id,
      fields: { Industry: 'Media' },
    });
    expect(updated.body.data).toEqual({ id, updated: true });
    expect(sf.records.get(id)).toMatchObject({ Name: 'Kryonix Ltd', Industry: 'Media' });

    const upsert = (name: string) =>
      run(mainId, 'upsertRecord', {
        sobject: 'Account',
        externalIdField: 'External_Id__c',
        externalId: 'ERP/42',
        fields: { Name: name },
      });
    const first = await upsert('From ERP');
    expect(first.body.data).toMatchObject({ created: true });
    const second = await upsert('From ERP, renamed');
    expect(second.body.data).toEqual({ id: first.body.data.id, created: false });
    expect(sf.records.get(first.body.data.id)).toMatchObject({
      Name: 'From ERP, renamed',
      External_Id__c: 'ERP/42',
    });

    const deleted = await run(mainId, 'deleteRecord', { sobject: 'Account', id });
    expect(deleted.body.data).toEqual({ id, deleted: true });
    const gone = await run(mainId, 'getRecord', { sobject: 'Account', id });
    expectProblem(gone, 422, 'KRX_UPSTREAM_REJECTED');
    expect(gone.body).toMatchObject({ upstreamStatus: 404, upstreamError: 'ENTITY_IS_DELETED' });
    const never = await run(mainId, 'getRecord', { sobject: 'Account', id: '001000000000000AAA' });
    expect(never.body).toMatchObject({ upstreamStatus: 404, upstreamError: 'NOT_FOUND' });

    const badId = await run(mainId, 'getRecord', { sobject: 'Account', id: '../../limits' });
    expectProblem(badId, 400, 'KRX_VALIDATION_FAILED');
  });

  it("maps Salesforce's array errors to clear messages with the error code and fields", async () => {
    const malformed = await run(mainId, 'query', { soql: 'SELEKT Id FROM Account' });
    expectProblem(malformed, 422, 'KRX_UPSTREAM_REJECTED');
    expect(malformed.body).toMatchObject({
      upstreamStatus: 400,
      upstreamError: 'MALFORMED_QUERY',
      retryable: false,
    });
    expect(malformed.body.detail).toContain("unexpected token: 'SELEKT'");

    const missing = await run(mainId, 'createRecord', { sobject: 'Account', fields: { Industry: 'x' } });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({ upstreamError: 'REQUIRED_FIELD_MISSING', fields: ['Name'] });
    expect(missing.body.detail).toContain('Required fields are missing: [Name]');

    const field = await run(mainId, 'query', { soql: 'SELECT Nope FROM Account' });
    expect(field.body.upstreamError).toBe('INVALID_FIELD');
  });

  it('gets one new token on a 401 INVALID_SESSION_ID and carries on; a refused login is an auth failure', async () => {
    const before = sf.issued.password;
    expect((await run(mainId, 'query', { soql: 'SELECT Id FROM Account LIMIT 1' })).status).toBe(200);
    expect(sf.issued.password).toBe(before); // no expires_in: the token is kept

    sf.revokeSessions();
    const again = await run(mainId, 'query', { soql: 'SELECT Id FROM Account LIMIT 1' });
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(sf.issued.password).toBe(before + 1);

    const wrong = await passwordConnection('sf-wrong-password', 'nope');
    const refused = await run(wrong, 'query', { soql: 'SELECT Id FROM Account' });
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body).toMatchObject({ upstreamError: 'invalid_grant' });
    expect(refused.body.detail).toContain('authentication failure');
    const view = await call(t.baseUrl, 'GET', `/api/integrations/connections/${wrong}`, { key: t.adminKey });
    expect(view.body.healthStatus).toBe('unhealthy');
  });

  it('signs in with client credentials and with a JWT bearer assertion', async () => {
    const cc = await connect(
      'sf-cc',
      {
        type: 'oauth2_client_credentials',
        tokenUrl: sf.tokenUrl,
        clientId: CLIENT.clientId,
        clientAuth: 'basic',
      },
      { clientSecret: CLIENT.clientSecret },
    );
    expect((await test(cc)).body).toMatchObject({ ok: true });
    expect(sf.issued.client_credentials).toBe(1);

    const jwt = await connect(
      'sf-jwt',
      {
        type: 'jwt_bearer',
        tokenUrl: sf.tokenUrl,
        issuer: CLIENT.clientId,
        subject: USER.username,
        audience: sf.loginUrl,
      },
      { privateKey },
    );
    const counted = await run(jwt, 'query', { soql: 'SELECT Id FROM Account', limit: 1 });
    expect(counted.status, JSON.stringify(counted.body)).toBe(200);
    expect(sf.issued['urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(1);

    const noAudience = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'salesforce',
        name: 'sf-jwt-incomplete',
        config: {},
        authConfig: {
          type: 'jwt_bearer',
          tokenUrl: sf.tokenUrl,
          issuer: CLIENT.clientId,
          subject: USER.username,
        },
        credentials: { privateKey },
      },
    });
    expectProblem(noAudience, 400, 'KRX_VALIDATION_FAILED');
  });

  it('exports Sforce-Limit-Info as gauges on /metrics and on the test result', async () => {
    const scrape = async () => (await fetch(`${t.baseUrl}/metrics`)).text();
    const series = (id: string) => `connection_id="${id}",connector="salesforce",quota="api_requests"`;
    sf.setApiUsage(17, 15000);
    const tested = await test(mainId);
    expect(tested.body.details.apiUsage).toEqual({ used: 18, max: 15000 });
    expect(tested.body.message).toContain('API requests used: 18 of 15000');
    let text = await scrape();
    expect(text).toContain('# TYPE kryonix_connector_quota_used gauge');
    expect(text).toContain(`kryonix_connector_quota_used{${series(mainId)}} 18\n`);
    expect(text).toContain(`kryonix_connector_quota_limit{${series(mainId)}} 15000\n`);

    await run(mainId, 'query', { soql: 'SELECT Id FROM Account LIMIT 1' });
    expect(await scrape()).toContain(`kryonix_connector_quota_used{${series(mainId)}} 19\n`);

    // A deleted connection's series goes with it.
    const gone = await passwordConnection('sf-gone');
    await run(gone, 'query', { soql: 'SELECT Id FROM Account LIMIT 1' });
    expect(await scrape()).toContain(`kryonix_connector_quota_used{${series(gone)}} 20\n`);
    const deleted = await call(t.baseUrl, 'DELETE', `/api/integrations/connections/${gone}`, {
      key: t.adminKey,
    });
    expect(deleted.status).toBe(204);
    text = await scrape();
    expect(text).not.toContain(gone);
    expect(text).toContain(series(mainId));
    sf.setApiUsage(0, 5000);
  });

  it('stops calling once Sforce-Limit-Info says the org is out of API requests', async () => {
    const limited = await passwordConnection('sf-limited', USER.password, { limitBackoffSeconds: 120 });
    sf.setApiUsage(4999, 5000);
    const last = await run(limited, 'getRecord', { sobject: 'Account', id: [...sf.records.keys()][0] });
    expect(last.status, JSON.stringify(last.body)).toBe(200); // the answer says api-usage=5000/5000
    const hits = Object.values(sf.hits).reduce((a, b) => a + b, 0);
    const blocked = await run(limited, 'query', { soql: 'SELECT Id FROM Account' });
    expectProblem(blocked, 429, 'KRX_RATE_LIMITED');
    expect(blocked.body.upstreamError).toBe('REQUEST_LIMIT_EXCEEDED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(100);
    expect(Object.values(sf.hits).reduce((a, b) => a + b, 0)).toBe(hits);

    const other = await passwordConnection('sf-other', USER.password);
    const refused = await run(other, 'query', { soql: 'SELECT Id FROM Account' });
    expectProblem(refused, 429, 'KRX_RATE_LIMITED');
    expect(refused.body).toMatchObject({ upstreamStatus: 403, upstreamError: 'REQUEST_LIMIT_EXCEEDED' });
    expect(refused.body.detail).toContain('TotalRequests Limit exceeded.');
    sf.setApiUsage(0);
  });
});
