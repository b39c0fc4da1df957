/** GET /api/integrations/me: who the caller is, for the dashboard's read-only mode. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';

describe('GET /api/integrations/me', () => {
  let t: TestPlatform;
  beforeAll(async () => {
    t = await startTestPlatform('pglite');
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers the principal of an admin key and of a viewer key, and 401 without one', async () => {
    const admin = await call(t.baseUrl, 'GET', '/api/integrations/me', { key: t.adminKey });
    expect(admin.status).toBe(200);
    expect(admin.body).toMatchObject({ role: 'admin', kind: 'api_key' });
    expect(typeof admin.body.tenantId).toBe('string');
    expect(typeof admin.body.subject).toBe('string');
    expect(Object.keys(admin.body).sort()).toEqual(['kind', 'role', 'subject', 'tenantId']);

    const created = await call(t.baseUrl, 'POST', '/api/integrations/api-keys', {
      key: t.adminKey,
      body: { name: 'me-viewer', role: 'viewer' },
    });
    expect(created.status).toBe(201);
    const viewer = await call(t.baseUrl, 'GET', '/api/integrations/me', { key: created.body.key });
    expect(viewer.status).toBe(200);
    expect(viewer.body).toEqual({
      tenantId: admin.body.tenantId,
      role: 'viewer',
      kind: 'api_key',
      subject: created.body.apiKey.id,
    });

    expect((await call(t.baseUrl, 'GET', '/api/integrations/me')).status).toBe(401);
  });
});
