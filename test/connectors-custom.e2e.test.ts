/**
 * Custom REST connectors defined as data by a tenant, end to end over HTTP: define, validate on save
 * (400 naming the field), connect, run actions (path params, query, headers, body template, response
 * mapping, output schema), executions recorded, versioning (PATCH bumps; connections keep theirs),
 * built-ins read-only, tenant isolation, and import from OpenAPI 3.x (JSON and YAML).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** Answers every request with what it received, plus an id and name from the last path segment. */
async function startEcho() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const entry: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: raw ? JSON.parse(raw) : null,
      };
      seen.push(entry);
      if (url.pathname.endsWith('/broken')) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ message: 'it broke' }));
      }
      const last = decodeURIComponent(url.pathname.split('/').at(-1) ?? '');
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ ...entry, headers: undefined, id: last, name: `Item ${last}`, status: 'available' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    last: () => seen.at(-1) as Seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

const petstore = {
  id: 'petstore',
  displayName: 'Pet Store',
  description: 'A tenant-defined pet API',
  category: 'commerce',
  version: '1.0.0',
  auth: ['api_key'],
  testAction: 'health',
  actions: [
    { name: 'health', method: 'GET', path: '/health', description: 'Liveness' },
    {
      name: 'getPet',
      description: 'One pet by id',
      method: 'GET',
      path: '/stores/{storeId}/pets/{petId}',
      input: {
        type: 'object',
        properties: { storeId: { type: 'string' }, petId: { type: 'string' }, verbose: { type: 'boolean' } },
        required: ['storeId', 'petId'],
        additionalProperties: false,
      },
      query: { verbose: '{{ verbose }}', fixed: 'yes' },
      headers: { 'X-Trace': 'pet-{{ petId }}' },
      responseMapping: { expression: '{ "id": id, "name": name, "verbose": query.verbose, "path": path }' },
      output: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' } },
        required: ['id', 'name'],
      },
      classification: 'read',
      idempotent: true,
    },
    {
      name: 'createPet',
      description: 'Adds a pet',
      method: 'POST',
      path: '/pets',
      input: {
        type: 'object',
        properties: { name: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } },
        required: ['name'],
      },
      body: { pet: { name: '{{ name }}', tags: '{{ tags }}' }, source: 'kryonix' },
      responseMapping: {
        fields: [
          { from: 'body', to: 'sent' },
          { from: 'method', to: 'method' },
        ],
      },
      classification: 'write',
      idempotent: false,
    },
    {
      name: 'strictOutput',
      method: 'GET',
      path: '/strict',
      output: { type: 'object', required: ['missing'] },
    },
  ],
};

describeStores('custom connectors', (store) => {
  let t: TestPlatform;
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let connectionId: string;
  let tenantB: { key: string };

  const api = (method: string, path: string, body?: unknown, key = t.adminKey) =>
    call(t.baseUrl, method, `/api/integrations${path}`, { key, body });
  const { run } = connectionCalls(() => t);
  const connect = async (connectorId: string, name: string, key = t.adminKey) => {
    const created = await api(
      'POST',
      '/connections',
      {
        connectorId,
        name,
        config: { baseUrl: `${echo.url}/v1`, retry: { attempts: 0 } },
        authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
        credentials: { apiKey: 'k-123' },
      },
      key,
    );
    return created;
  };

  beforeAll(async () => {
    echo = await startEcho();
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    const tenant = await api('POST', '/tenants', { name: 'Tenant B', slug: 'tenant-b' }, t.ownerKey);
    expect(tenant.status).toBe(201);
    const key = await api(
      'POST',
      `/tenants/${tenant.body.id}/api-keys`,
      { name: 'b', role: 'admin' },
      t.ownerKey,
    );
    tenantB = { key: key.body.key };
  });
  afterAll(async () => {
    await t?.close();
    await echo?.close();
  });

  it('saves a definition, lists it in the catalog and audits it', async () => {
    const created = await api('POST', '/connectors', petstore);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      id: 'petstore',
      version: '1.0.0',
      auth: ['api_key'],
      isBuiltIn: false,
    });
    const read = await api('GET', '/connectors/petstore');
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id: 'petstore',
      type: 'custom',
      isBuiltIn: false,
      category: 'commerce',
    });
    expect(read.body.actions.map((a: { name: string }) => a.name)).toEqual([
      'health',
      'getPet',
      'createPet',
      'strictOutput',
    ]);
    expect(read.body.authSchema.oneOf[0].properties.type.const).toBe('api_key');
    expect(read.body.configSchema.required).toEqual(['baseUrl']);
    const definition = await api('GET', '/connectors/petstore/definition');
    expect(definition.body.actions[1]).toMatchObject({ path: '/stores/{storeId}/pets/{petId}' });
    const duplicate = await api('POST', '/connectors', petstore);
    expectProblem(duplicate, 409, 'KRX_CONFLICT');
    const { rows } = await t.platform.db.pool.query(
      "SELECT action FROM audit_log WHERE action LIKE 'connector.%' ORDER BY created_at",
    );
    expect(rows.map((r) => r.action)).toContain('connector.create');
  });

  it('creates a connection and runs the actions: path params, query, headers, body template, mapping', async () => {
    const created = await connect('petstore', 'pets');
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ connectorId: 'petstore', connectorVersion: '1.0.0' });
    connectionId = created.body.id;

    const got = await run(connectionId, 'getPet', { storeId: 's 1', petId: '42', verbose: true });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body.data).toEqual({
      id: '42',
      name: 'Item 42',
      verbose: 'true',
      path: '/v1/stores/s%201/pets/42',
    });
    const seen = echo.last();
    expect(seen.query).toEqual({ verbose: 'true', fixed: 'yes' });
    expect(seen.headers['x-trace']).toBe('pet-42');
    expect(seen.headers['x-upstream-key']).toBe('k-123');

    const omitted = await run(connectionId, 'getPet', { storeId: 's', petId: '7' });
    expect(omitted.status).toBe(200);
    expect(echo.last().query).toEqual({ fixed: 'yes' });

    const made = await run(connectionId, 'createPet', { name: 'Rex', tags: ['dog'] });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect(made.body.data).toEqual({
      sent: { pet: { name: 'Rex', tags: ['dog'] }, source: 'kryonix' },
      method: 'POST',
    });
    expect(echo.last().headers['content-type']).toBe('application/json');

    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT id, execution_type, status, url FROM api_executions WHERE connection_id = $1',
      [connectionId],
    );
    expect(rows.find((r) => r.id === got.body.executionId)).toMatchObject({
      execution_type: 'action',
      status: 'success',
      url: 'action:petstore/getPet',
    });
    expect(rows.map((r) => r.url)).toContain('action:petstore/createPet');
  });

  it('validates input, refuses values escaping the base path, checks output, maps upstream errors', async () => {
    const missing = await run(connectionId, 'getPet', { storeId: 's' });
    expectProblem(missing, 400, 'KRX_VALIDATION_FAILED');
    expect(JSON.stringify(missing.body.errors)).toContain('petId');
    const before = echo.seen.length;
    for (const petId of ['..', '../../admin', '%2e%2e']) {
      const escaped = await run(connectionId, 'getPet', { storeId: 's', petId });
      if (escaped.status === 200) {
        // Encoded as data: still under the base path.
        expect(echo.last().path.startsWith('/v1/stores/s/pets/')).toBe(true);
      } else expectProblem(escaped, 400, 'KRX_VALIDATION_FAILED');
    }
    expect(echo.seen.slice(before).every((s) => s.path.startsWith('/v1/stores/s/pets/'))).toBe(true);
    const strict = await run(connectionId, 'strictOutput', {});
    expectProblem(strict, 502, 'KRX_UPSTREAM_ERROR');
    expect(strict.body.detail).toContain('output schema');
  });

  it('tests the connection with the declared test action', async () => {
    const tested = await api('POST', `/connections/${connectionId}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(echo.last().path).toBe('/v1/health');
  });

  it('refuses invalid definitions with 400 naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { ...petstore, id: 'bad1', actions: [{ name: 'a', method: 'GET', path: '/x/{nope}' }] },
        '/body/actions/0/path',
      ],
      [
        {
          ...petstore,
          id: 'bad2',
          actions: [{ name: 'a', method: 'POST', path: '/x', body: { v: '{{ $$$( }}' } }],
        },
        '/body/actions/0/body/v',
      ],
      [
        {
          ...petstore,
          id: 'bad3',
          actions: [{ name: 'a', method: 'GET', path: '/x', input: { type: 'nope' } }],
        },
        '/body/actions/0/input',
      ],
      [
        {
          ...petstore,
          id: 'bad4',
          actions: [{ name: 'a', method: 'GET', path: '/x', responseMapping: 'foo(' }],
        },
        '/body/actions/0/responseMapping',
      ],
      [
        {
          ...petstore,
          id: 'bad5',
          testAction: undefined,
          actions: [{ name: 'a', method: 'FETCH', path: '/x' }],
        },
        '/body/actions/0/method',
      ],
      [{ ...petstore, id: 'bad6', auth: ['telepathy'] }, '/body/auth/0'],
      [
        { ...petstore, id: 'bad7', config: { type: 'object', properties: { host: { type: 'string' } } } },
        '/body/config/properties/baseUrl',
      ],
      [{ ...petstore, id: 'rest' }, '/body/id'],
      [
        { ...petstore, id: 'bad8', actions: [{ name: 'a', method: 'GET', path: 'https://evil.example/x' }] },
        '/body/actions/0/path',
      ],
      [{ ...petstore, id: 'bad9', testAction: 'nope' }, '/body/testAction'],
      [
        {
          ...petstore,
          id: 'bad10',
          actions: [{ name: 'a', method: 'GET', path: '/x', query: { q: '{{ ( }}' } }],
        },
        '/body/actions/0/query/q',
      ],
    ];
    for (const [body, path] of cases) {
      const result = await api('POST', '/connectors', body);
      expectProblem(result, 400, 'KRX_VALIDATION_FAILED');
      expect(
        result.body.errors.map((e: { path: string }) => e.path).some((p: string) => p.startsWith(path)),
        `${path}: ${JSON.stringify(result.body.errors)}`,
      ).toBe(true);
    }
  });

  it('versions: PATCH bumps the version, existing connections keep the one they pinned', async () => {
    const patched = await api('PATCH', '/connectors/petstore', {
      actions: petstore.actions.map((action) =>
        action.name === 'getPet'
          ? { ...action, responseMapping: { expression: '{ "id": id, "name": "v2 " & name }' } }
          : action,
      ),
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.version).toBe('1.0.1');
    const old = await run(connectionId, 'getPet', { storeId: 's', petId: '1' });
    expect(old.body.data.name).toBe('Item 1');
    const fresh = await connect('petstore', 'pets v2');
    expect(fresh.body.connectorVersion).toBe('1.0.1');
    const newer = await run(fresh.body.id, 'getPet', { storeId: 's', petId: '1' });
    expect(newer.body.data).toEqual({ id: '1', name: 'v2 Item 1' });
    const older = await api('PATCH', '/connectors/petstore', { version: '1.0.0' });
    expectProblem(older, 400, 'KRX_VALIDATION_FAILED');
    expect(older.body.errors[0].path).toBe('/body/version');
    const invalid = await api('PATCH', '/connectors/petstore', { auth: ['nope'] });
    expectProblem(invalid, 400, 'KRX_VALIDATION_FAILED');
    expect((await api('GET', '/connectors/petstore')).body.version).toBe('1.0.1');
  });

  it('lets viewers read but not define or change connectors', async () => {
    const viewer = await api('POST', '/api-keys', { name: 'viewer', role: 'viewer' });
    expect(viewer.status).toBe(201);
    const key = viewer.body.key as string;
    expect((await api('GET', '/connectors/petstore', undefined, key)).status).toBe(200);
    expectProblem(
      await api('POST', '/connectors', { ...petstore, id: 'viewers' }, key),
      403,
      'KRX_FORBIDDEN',
    );
    expectProblem(
      await api('PATCH', '/connectors/petstore', { displayName: 'v' }, key),
      403,
      'KRX_FORBIDDEN',
    );
    expectProblem(await api('DELETE', '/connectors/petstore', undefined, key), 403, 'KRX_FORBIDDEN');
  });

  it('keeps built-ins read-only and deletes only unused custom connectors', async () => {
    expectProblem(await api('PATCH', '/connectors/rest', { displayName: 'mine' }), 403, 'KRX_FORBIDDEN');
    expectProblem(await api('DELETE', '/connectors/rest'), 403, 'KRX_FORBIDDEN');
    expectProblem(await api('DELETE', '/connectors/nothing-here'), 404, 'KRX_CONNECTOR_NOT_FOUND');
    expectProblem(await api('DELETE', '/connectors/petstore'), 409, 'KRX_CONFLICT');
    const temp = await api('POST', '/connectors', { ...petstore, id: 'temp' });
    expect(temp.status).toBe(201);
    const deleted = await api('DELETE', '/connectors/temp');
    expect(deleted.status).toBe(204);
    expectProblem(await api('GET', '/connectors/temp'), 404, 'KRX_CONNECTOR_NOT_FOUND');
  });

  it("isolates tenants: B neither sees nor uses A's connector, and may define its own namesake", async () => {
    const b = tenantB.key;
    expectProblem(await api('GET', '/connectors/petstore', undefined, b), 404, 'KRX_CONNECTOR_NOT_FOUND');
    const list = await api('GET', '/connectors?type=custom', undefined, b);
    expect(list.body.items).toEqual([]);
    expectProblem(await connect('petstore', 'stolen', b), 404, 'KRX_CONNECTOR_NOT_FOUND');
    expect((await run(connectionId, 'getPet', { storeId: 's', petId: '1' }, b)).status).toBe(404);
    expectProblem(
      await api('PATCH', '/connectors/petstore', { displayName: 'x' }, b),
      404,
      'KRX_CONNECTOR_NOT_FOUND',
    );
    expectProblem(await api('DELETE', '/connectors/petstore', undefined, b), 404, 'KRX_CONNECTOR_NOT_FOUND');
    const own = await api('POST', '/connectors', { ...petstore, displayName: 'B pets' }, b);
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect((await api('GET', '/connectors/petstore')).body.displayName).toBe('Pet Store');
  });

  describe('OpenAPI import', () => {
    const openapi = () => ({
      openapi: '3.0.3',
      info: { title: 'Inventory', version: '2.1.0' },
      servers: [{ url: 'https://inventory.example.com/api' }],
      components: {
        securitySchemes: {
          token: { type: 'http', scheme: 'bearer' },
          key: { type: 'apiKey', in: 'header', name: 'X-Key' },
        },
        schemas: {
          Item: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              name: { type: 'string' },
              parent: { $ref: '#/components/schemas/Item' },
            },
            required: ['id', 'name'],
          },
          NewItem: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
        },
        parameters: { ItemId: { name: 'itemId', in: 'path', required: true, schema: { type: 'string' } } },
      },
      paths: {
        '/items/{itemId}': {
          parameters: [{ $ref: '#/components/parameters/ItemId' }],
          get: {
            operationId: 'getItem',
            summary: 'Read an item',
            parameters: [{ name: 'expand', in: 'query', schema: { type: 'string' } }],
            responses: {
              '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
            },
          },
          delete: { responses: { '204': { description: 'gone' } } },
        },
        '/items': {
          post: {
            operationId: 'createItem',
            requestBody: {
              required: true,
              content: { 'application/json': { schema: { $ref: '#/components/schemas/NewItem' } } },
            },
            responses: {
              '201': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } } },
            },
          },
        },
      },
    });

    it('imports a JSON document: actions, schemas, auth and base URL default; runs an imported action', async () => {
      const imported = await api('POST', '/connectors/import', { id: 'inventory', document: openapi() });
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
      expect(imported.body).toMatchObject({ id: 'inventory', displayName: 'Inventory', version: '2.1.0' });
      expect(imported.body.auth).toEqual(['bearer', 'api_key']);
      expect(imported.body.config.properties.baseUrl.default).toBe('https://inventory.example.com/api');
      const names = imported.body.actions.map((a: { name: string }) => a.name);
      expect(names).toEqual(['getItem', 'delete_items_by_itemId', 'createItem']);
      const getItem = imported.body.actions[0];
      expect(getItem.input).toMatchObject({
        required: ['itemId'],
        properties: { expand: { type: 'string' } },
      });
      expect(getItem.output).toMatchObject({ required: ['id', 'name'] });
      expect(imported.body.actions[1].classification).toBe('destructive');

      const created = await api('POST', '/connections', {
        connectorId: 'inventory',
        name: 'inventory',
        config: { baseUrl: `${echo.url}/api` },
        authConfig: { type: 'bearer' },
        credentials: { token: 'tok-1' },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const slash = await run(created.body.id, 'getItem', { itemId: 'a/b' });
      expectProblem(slash, 400, 'KRX_VALIDATION_FAILED');
      const item = await run(created.body.id, 'getItem', { itemId: 'a b', expand: 'parent' });
      expect(item.status, JSON.stringify(item.body)).toBe(200);
      expect(item.body.data).toMatchObject({ id: 'a b', name: 'Item a b' });
      expect(echo.last()).toMatchObject({ path: '/api/items/a%20b', query: { expand: 'parent' } });
      expect(echo.last().headers.authorization).toBe('Bearer tok-1');
      const made = await run(created.body.id, 'createItem', { body: { name: 'new' } });
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      expect(echo.last()).toMatchObject({ method: 'POST', path: '/api/items', body: { name: 'new' } });
    });

    it('imports YAML, honours include, and refuses remote refs and non-3.x documents', async () => {
      const { stringify } = await import('yaml');
      const yaml = stringify(openapi());
      const imported = await api('POST', '/connectors/import', {
        id: 'inventory-yaml',
        displayName: 'Inventory (YAML)',
        document: yaml,
        include: ['getItem'],
      });
      expect(imported.status, JSON.stringify(imported.body)).toBe(201);
      expect(imported.body.actions.map((a: { name: string }) => a.name)).toEqual(['getItem']);

      const remote = openapi();
      (remote.paths['/items'].post.requestBody.content['application/json'].schema as { $ref: string }).$ref =
        'https://evil.example/schema.json';
      const refused = await api('POST', '/connectors/import', { id: 'remote', document: remote });
      expectProblem(refused, 400, 'KRX_VALIDATION_FAILED');
      expect(refused.body.detail).toContain('remote reference');
      const swagger = await api('POST', '/connectors/import', {
        id: 'old',
        document: { swagger: '2.0', paths: {} },
      });
      expectProblem(swagger, 400, 'KRX_VALIDATION_FAILED');
      expect(swagger.body.errors[0].path).toBe('/body/document/openapi');
      const garbage = await api('POST', '/connectors/import', { id: 'garbage', document: 'openapi: [' });
      expectProblem(garbage, 400, 'KRX_VALIDATION_FAILED');
    });
  });
});
