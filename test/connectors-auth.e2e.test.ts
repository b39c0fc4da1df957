/** OAuth2 through the platform: tokens fetched, stored sealed, refreshed on a 401, failures surfaced. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeOAuth2, startFakeOAuth2 } from './fakes/oauth2.js';
import { type RestUpstream, startRestUpstream } from './fakes/rest-upstream.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: OAuth2 auth helpers end to end', (store) => {
  let t: TestPlatform;
  let upstream: RestUpstream;
  let oauth: FakeOAuth2;

  const connect = async (name: string, refreshToken: string) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'rest',
        name,
        config: { baseUrl: upstream.url, testEndpoint: '/protected' },
        authConfig: { type: 'oauth2_refresh_token', tokenUrl: oauth.tokenUrl, clientId: 'client-1' },
        credentials: { clientSecret: 'secret-1', refreshToken },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const run = (id: string) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/get`, {
      key: t.adminKey,
      body: { path: '/protected' },
    });

  beforeAll(async () => {
    upstream = await startRestUpstream();
    oauth = await startFakeOAuth2({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      refreshTokens: ['rt-good'],
    });
    upstream.validToken = oauth.isValid;
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await upstream?.close();
    await oauth?.close();
  });

  it('gets a token, stores it and the rotated refresh token sealed, and refreshes once on a 401', async () => {
    const id = await connect('oauth', 'rt-good');
    const first = await run(id);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.data.data).toEqual({ me: 'service' });
    expect(oauth.issued.refresh_token).toBe(1);

    const { rows } = await t.platform.db.pool.query(
      'SELECT credentials::text AS c FROM connections WHERE id = $1',
      [id],
    );
    const rotated = oauth.currentRefreshTokens()[0];
    expect(rows[0].c).not.toContain(rotated);
    expect(rows[0].c).not.toContain('rt-good');
    expect(JSON.parse(rows[0].c).fields).toEqual(['clientSecret', 'refreshToken']);
    const view = await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}`, { key: t.adminKey });
    expect(view.body.credentials).toEqual({ clientSecret: '********', refreshToken: '********' });

    // The cached token keeps working: no new token request.
    expect((await run(id)).status).toBe(200);
    expect(oauth.issued.refresh_token).toBe(1);

    oauth.revokeAll(); // the provider ends the session: 401, one refresh (with the rotated token), success
    const again = await run(id);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(oauth.issued.refresh_token).toBe(2);
    const audit = await t.platform.db.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'connection.credentials.refresh' AND resource_id = $1",
      [id],
    );
    expect(audit.rows[0].n).toBe(2);
  });

  it("answers a refused refresh with the provider's error and marks the connection unhealthy", async () => {
    const id = await connect('revoked', 'rt-unknown');
    const result = await run(id);
    expect(result.status).toBe(424);
    expect(result.body).toMatchObject({ code: 'KRX_UPSTREAM_AUTH_FAILED', upstreamError: 'invalid_grant' });
    expect(result.body.detail).toContain('Token has been expired or revoked.');
    const view = await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}`, { key: t.adminKey });
    expect(view.body.healthStatus).toBe('unhealthy');
  });
});
