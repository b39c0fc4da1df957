/**
 * The SAP OData connector end to end through the platform's HTTP API, against a local SAP Gateway
 * with a v2 and a v4 service: Basic and OAuth2 client credentials, sap-client, server-driven paging
 * (__next and @odata.nextLink), unwrapped results, the CSRF token handshake with its cookies (and one
 * refetch when the token expires), and both error envelopes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSap, startFakeSap, V2_PATH, V4_PATH } from './fakes/sap.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

describeStores('connectors: SAP OData', (store) => {
  let t: TestPlatform;
  let sap: FakeSap;
  let v2: string;
  let v4: string;

  const connect = async (name: string, config: object, authConfig: object, credentials: object) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'sap',
        name,
        config: { retry: { attempts: 1, delayMs: 10 }, ...config },
        authConfig,
        credentials,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run, test } = connectionCalls(() => t);

  beforeAll(async () => {
    sap = await startFakeSap({ clientId: 'sb-kryonix', clientSecret: 'uaa-secret' });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    v2 = await connect(
      'sap-v2',
      { serviceUrl: sap.v2Url, version: '2', sapClient: '100' },
      { type: 'basic', username: 'KRYONIX_USER' },
      { password: 'Welcome1!' },
    );
    v4 = await connect(
      'sap-v4',
      { serviceUrl: sap.v4Url.replace(/\/$/, ''), version: '4' },
      {
        type: 'oauth2_client_credentials',
        tokenUrl: sap.tokenUrl,
        clientId: 'sb-kryonix',
        clientAuth: 'basic',
      },
      { clientSecret: 'uaa-secret' },
    );
  });
  afterAll(async () => {
    await t?.close();
    await sap?.close();
  });

  it('tests both services through their service documents', async () => {
    const tested = await test(v2);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.details.entitySets).toEqual(['A_BusinessPartner']);
    expect(sap.clients).toContain('100');
    const tested4 = await test(v4);
    expect(tested4.body).toMatchObject({ ok: true, details: { entitySets: ['Product'] } });

    const metadata = await run(v2, 'metadata');
    expect(metadata.body.data.edmx).toContain('<EntitySet Name="A_BusinessPartner"/>');
  });

  it('queries v2 with options, follows absolute __next links and unwraps d.results', async () => {
    const all = await run(v2, 'query', { entitySet: 'A_BusinessPartner', count: true });
    expect(all.status, JSON.stringify(all.body).slice(0, 400)).toBe(200);
    expect(all.body.data).toMatchObject({ pages: 3, count: 120 });
    expect(all.body.data.items).toHaveLength(120);
    expect(all.body.data.items[0]).toMatchObject({
      __metadata: { type: 'API_BUSINESS_PARTNER.A_BusinessPartnerType' },
      BusinessPartner: '1001',
    });

    const germans = await run(v2, 'query', {
      entitySet: 'A_BusinessPartner',
      filter: "Country eq 'DE'",
      select: ['BusinessPartner', 'BusinessPartnerFullName'],
      expand: ['to_BusinessPartnerAddress'],
      orderby: 'BusinessPartner desc',
      top: 5,
      skip: 1,
    });
    expect(germans.body.data.items.map((p: any) => p.BusinessPartner)).toEqual([
      '1117',
      '1114',
      '1111',
      '1108',
      '1105',
    ]);
    expect(germans.body.data.items[0].to_BusinessPartnerAddress.results[0].CityName).toBe('Berlin');
    expect(Object.keys(germans.body.data.items[0])).not.toContain('Country');

    const some = await run(v2, 'query', { entitySet: 'A_BusinessPartner', limit: 60 });
    expect(some.body.data).toMatchObject({ pages: 2 });
    expect(some.body.data.items).toHaveLength(100);
    expect(decodeURIComponent(some.body.data.nextLink)).toContain('$skiptoken=100');
    const rest = await run(v2, 'query', {
      entitySet: 'A_BusinessPartner',
      nextLink: some.body.data.nextLink,
    });
    expect(rest.body.data.items).toHaveLength(20);
  });

  it('queries v4 with an OAuth2 token, follows relative @odata.nextLink and unwraps value', async () => {
    const all = await run(v4, 'query', { entitySet: 'Product', count: true, orderby: 'Product' });
    expect(all.status, JSON.stringify(all.body).slice(0, 400)).toBe(200);
    expect(all.body.data).toMatchObject({ pages: 2, count: 70 });
    expect(all.body.data.items[69]).toEqual({
      Product: 'P070',
      ProductType: 'HAWA',
      BaseUnit: 'EA',
      Weight: 70,
    });
    const one = await run(v4, 'getEntity', { entitySet: 'Product', key: 'P007' });
    expect(one.body.data).toMatchObject({ '@odata.context': '$metadata#Product/$entity', Product: 'P007' });
  });

  it('writes with the CSRF token and its cookies, refetching once when it expires', async () => {
    const fetches = sap.csrfFetches;
    const created = await run(v2, 'createEntity', {
      entitySet: 'A_BusinessPartner',
      data: { BusinessPartner: '9001', BusinessPartnerFullName: "O'Neil GmbH", Country: 'DE' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.data).toMatchObject({
      BusinessPartner: '9001',
      __metadata: { type: expect.any(String) },
    });
    expect(sap.csrfFetches).toBe(fetches + 1);
    expect(sap.hits[`HEAD ${V2_PATH}`]).toBeGreaterThanOrEqual(1);

    const updated = await run(v2, 'updateEntity', {
      entitySet: 'A_BusinessPartner',
      key: '9001',
      data: { Industry: 'CHEMICALS' },
    });
    expect(updated.body.data).toEqual({ updated: true });
    expect(sap.partners.get('9001')).toMatchObject({
      Industry: 'CHEMICALS',
      BusinessPartnerFullName: "O'Neil GmbH",
    });
    expect(sap.csrfFetches).toBe(fetches + 1); // the token is reused

    sap.expireCsrf();
    const merged = await run(v2, 'updateEntity', {
      entitySet: 'A_BusinessPartner',
      key: { BusinessPartner: '9001' },
      data: { Country: 'AT' },
      method: 'MERGE',
    });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    expect(sap.csrfFetches).toBe(fetches + 2);
    expect(sap.partners.get('9001')?.Country).toBe('AT');

    const read = await run(v2, 'getEntity', { entitySet: 'A_BusinessPartner', key: '9001' });
    expect(read.body.data).toMatchObject({ BusinessPartner: '9001', Country: 'AT' });
    const deleted = await run(v2, 'deleteEntity', { entitySet: 'A_BusinessPartner', key: '9001' });
    expect(deleted.body.data).toEqual({ deleted: true });
    expect(sap.partners.has('9001')).toBe(false);

    const v4Created = await run(v4, 'createEntity', {
      entitySet: 'Product',
      data: { Product: 'P900', ProductType: 'FERT', BaseUnit: 'PC', Weight: 3 },
    });
    expect(v4Created.body.data).toMatchObject({ Product: 'P900', BaseUnit: 'PC' });

    const noCsrf = await connect(
      'sap-no-csrf',
      { serviceUrl: sap.v2Url, csrf: false },
      { type: 'basic', username: 'KRYONIX_USER' },
      { password: 'Welcome1!' },
    );
    const refused = await run(noCsrf, 'deleteEntity', { entitySet: 'A_BusinessPartner', key: '1001' });
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.upstreamError).toBe('csrf_token_required');
  });

  it('maps the v2 and v4 error envelopes, and refuses bad credentials', async () => {
    const missing = await run(v2, 'getEntity', { entitySet: 'A_BusinessPartner', key: '4040' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({ upstreamStatus: 404, upstreamError: '/IWBEP/CM_MGW_RT/020' });
    expect(missing.body.detail).toContain("Resource not found for segment 'A_BusinessPartnerType'");

    const invalid = await run(v2, 'createEntity', {
      entitySet: 'A_BusinessPartner',
      data: { Country: 'DE' },
    });
    expectProblem(invalid, 422, 'KRX_UPSTREAM_REJECTED');
    expect(invalid.body.detail).toContain('Enter a value for BusinessPartner (BusinessPartner is mandatory)');

    const badFilter = await run(v4, 'query', { entitySet: 'Product', filter: 'Weight gt 3' });
    expect(badFilter.body).toMatchObject({ upstreamStatus: 400, upstreamError: '/IWBEP/CM_V4_RUNTIME/022' });
    expect(badFilter.body.upstreamMessage).toContain('Invalid filter expression');
    const gone = await run(v4, 'getEntity', { entitySet: 'Product', key: 'NOPE' });
    expect(gone.body.upstreamMessage).toBe('No entity found for key NOPE');

    const wrong = await connect(
      'sap-wrong',
      { serviceUrl: sap.v2Url },
      { type: 'basic', username: 'KRYONIX_USER' },
      { password: 'nope' },
    );
    expectProblem(
      await run(wrong, 'query', { entitySet: 'A_BusinessPartner' }),
      424,
      'KRX_UPSTREAM_AUTH_FAILED',
    );
    expect((await test(wrong)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    const badSet = await run(v2, 'query', { entitySet: 'A_BusinessPartner/../x' });
    expectProblem(badSet, 400, 'KRX_VALIDATION_FAILED');
  });

  it('honours a 429 Retry-After on reads', async () => {
    sap.rateLimitNext(1);
    const before = sap.hits[`GET ${V4_PATH}Product('P001')`] ?? 0;
    const read = await run(v4, 'getEntity', { entitySet: 'Product', key: 'P001' });
    expect(read.status, JSON.stringify(read.body)).toBe(200);
    expect(sap.hits[`GET ${V4_PATH}Product('P001')`] - before).toBe(2);
  });
});
