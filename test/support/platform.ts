/** A whole platform on a random port for end-to-end tests, with helpers to call it over HTTP. */
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { insertApiKey } from '../../src/platform/auth/api-keys.js';
import { createPlatform, type Platform } from '../../src/start.js';
import { leaseStore, type Store } from './stores.js';

export interface TestPlatform {
  platform: Platform;
  baseUrl: string;
  /** The `default` tenant's bootstrap admin key. */
  adminKey: string;
  ownerKey: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestPlatform(
  store: Store,
  env: Record<string, string> = {},
): Promise<TestPlatform> {
  const lease = await leaseStore(store);
  const config = loadConfig({ ...lease.env, ...env });
  const platform = await createPlatform(config);
  await platform.app.listen({ host: '127.0.0.1', port: 0 });
  const address = platform.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const { key: ownerKey } = await platform.db.withPlatform((tx) =>
    insertApiKey(tx, { tenantId: null, name: 'test owner', role: 'owner' }),
  );
  return {
    platform,
    baseUrl: `http://127.0.0.1:${address.port}`,
    adminKey: platform.bootstrapKey!,
    ownerKey,
    dataDir: lease.dataDir,
    async close() {
      await platform.close();
      await lease.release();
    },
  };
}

export interface CallResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** JSON over HTTP with a key; `body` may be a string to send raw bytes. */
export async function call<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** A REST connection with an API key credential: the body most tests create connections with. */
/**
 * What the connector tests do with a connection over HTTP, as the admin: run one of its actions
 * (`input` the JSON body) and test it. `current` returns the platform of the moment (tests create it
 * in beforeAll).
 */
export function connectionCalls(current: () => TestPlatform) {
  return {
    run: (id: string, action: string, input: unknown = {}, key = current().adminKey) =>
      call(current().baseUrl, 'POST', `/api/v1/connections/${id}/actions/${action}`, { key, body: input }),
    test: (id: string) =>
      call(current().baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
        key: current().adminKey,
      }),
  };
}

export const restConnection = (name: string) => ({
  connectorId: 'rest',
  name,
  config: { baseUrl: 'https://api.example.com/v1' },
  authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
  credentials: { apiKey: 'upstream-secret-12345' },
});

/** A tenant made by the platform owner, with an admin key of its own. */
export async function createTenant(t: TestPlatform, slug: string): Promise<{ id: string; key: string }> {
  const created = await call(t.baseUrl, 'POST', '/api/integrations/tenants', {
    key: t.ownerKey,
    body: { name: slug, slug },
  });
  expect(created.status).toBe(201);
  const key = await call(t.baseUrl, 'POST', `/api/integrations/tenants/${created.body.id}/api-keys`, {
    key: t.ownerKey,
    body: { name: `${slug} admin`, role: 'admin' },
  });
  expect(key.status).toBe(201);
  return { id: created.body.id, key: key.body.key };
}
