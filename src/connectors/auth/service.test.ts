import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOAuth2, startFakeOAuth2 } from '../../../test/fakes/oauth2.js';
import { createLocalLocks, createRedisLocks } from './locks.js';
import { type AuthTarget, createAuthService } from './service.js';
import type { CredentialStore, LockProvider, StoredToken } from './types.js';

const TENANT = '00000000-0000-4000-8000-000000000001';
const REDIS_URL = process.env.REDIS_URL;

/** Credentials "sealed" in memory, as the connections table would hold them. */
function memoryStore(initial: Record<string, Record<string, unknown>>) {
  const rows = structuredClone(initial);
  const unhealthy: Record<string, unknown>[] = [];
  const store: CredentialStore & { rows: typeof rows; unhealthy: typeof unhealthy; writes: number } = {
    rows,
    unhealthy,
    writes: 0,
    async read(_context, _tenant, id) {
      return structuredClone(rows[id]);
    },
    async write(_context, _tenant, id, credentials) {
      store.writes++;
      rows[id] = structuredClone(credentials);
    },
    async markUnhealthy(_tenant, _id, result) {
      unhealthy.push(result);
    },
  };
  return store;
}

const dispatcher = new Agent();

function target(
  store: ReturnType<typeof memoryStore>,
  connectionId: string,
  authConfig: Record<string, unknown>,
): AuthTarget {
  return {
    tenantId: TENANT,
    connectionId,
    authConfig,
    credentials: structuredClone(store.rows[connectionId]),
  };
}

describe('shared auth helpers', () => {
  let oauth: FakeOAuth2;
  let privateKey: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = await exportPKCS8(pair.privateKey);
    oauth = await startFakeOAuth2({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      refreshTokens: ['rt-initial'],
      jwtPublicKey: await exportSPKI(pair.publicKey),
      jwtIssuer: 'svc@example.iam',
      delayMs: 100,
    });
  });
  afterAll(async () => {
    await oauth?.close();
    await dispatcher.close();
  });

  it('applies API key (header and query), Basic and Bearer', async () => {
    const store = memoryStore({});
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const session = (authConfig: Record<string, unknown>, credentials: Record<string, unknown>) =>
      auth.session({ tenantId: TENANT, connectionId: 'c', authConfig, credentials }).apply();
    expect(await session({ type: 'api_key', in: 'header', name: 'X-Key' }, { apiKey: 'k' })).toEqual({
      headers: { 'x-key': 'k' },
      query: {},
    });
    expect(await session({ type: 'api_key', in: 'query', name: 'key' }, { apiKey: 'k' })).toEqual({
      headers: {},
      query: { key: 'k' },
    });
    expect((await session({ type: 'basic', username: 'u' }, { password: 'p' })).headers.authorization).toBe(
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    );
    expect((await session({ type: 'bearer' }, { token: 't' })).headers.authorization).toBe('Bearer t');
  });

  it('fetches one client-credentials token for many concurrent calls, and stores it', async () => {
    const store = memoryStore({ cc: { clientSecret: 'secret-1' } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const config = { type: 'oauth2_client_credentials', tokenUrl: oauth.tokenUrl, clientId: 'client-1' };
    const before = oauth.issued.client_credentials ?? 0;
    const applied = await Promise.all(
      Array.from({ length: 10 }, () => auth.session(target(store, 'cc', config)).apply()),
    );
    expect(oauth.issued.client_credentials - before).toBe(1);
    const token = applied[0].headers.authorization.slice('Bearer '.length);
    expect(oauth.isValid(token)).toBe(true);
    expect(new Set(applied.map((a) => a.headers.authorization)).size).toBe(1);
    expect((store.rows.cc._token as StoredToken).accessToken).toBe(token);
  });

  it('sends client credentials in a Basic header when asked', async () => {
    const store = memoryStore({ basic: { clientSecret: 'secret-1' } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const config = {
      type: 'oauth2_client_credentials',
      tokenUrl: oauth.tokenUrl,
      clientId: 'client-1',
      clientAuth: 'basic',
    };
    await auth.session(target(store, 'basic', config)).apply();
    expect(oauth.requests.at(-1)).toEqual({ grant_type: 'client_credentials' });
  });

  it('refreshes before expiry, not after', async () => {
    oauth.setExpiresIn(2);
    const store = memoryStore({ soon: { clientSecret: 'secret-1' } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher, refreshMarginMs: 1000 });
    const config = { type: 'oauth2_client_credentials', tokenUrl: oauth.tokenUrl, clientId: 'client-1' };
    const first = await auth.session(target(store, 'soon', config)).accessToken();
    expect(await auth.session(target(store, 'soon', config)).accessToken()).toBe(first);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // inside the margin, before the expiry
    const second = await auth.session(target(store, 'soon', config)).accessToken();
    expect(second).not.toBe(first);
    oauth.setExpiresIn(3600);
  });

  it('rotates refresh tokens and stores the new one; refresh() replaces a refused token once', async () => {
    const store = memoryStore({ rt: { clientSecret: 'secret-1', refreshToken: 'rt-initial' } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const config = { type: 'oauth2_refresh_token', tokenUrl: oauth.tokenUrl, clientId: 'client-1' };
    const session = auth.session(target(store, 'rt', config));
    const first = await session.accessToken();
    expect(store.rows.rt.refreshToken).not.toBe('rt-initial');
    expect(oauth.currentRefreshTokens()).toContain(store.rows.rt.refreshToken);
    oauth.revokeAll();
    expect(await session.refresh()).toBe(true);
    const second = await session.accessToken();
    expect(second).not.toBe(first);
    expect(oauth.isValid(second)).toBe(true);
  });

  it("marks the connection unhealthy with the provider's error when the refresh fails", async () => {
    const store = memoryStore({ dead: { clientSecret: 'secret-1', refreshToken: 'rt-revoked' } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const config = { type: 'oauth2_refresh_token', tokenUrl: oauth.tokenUrl, clientId: 'client-1' };
    await expect(auth.session(target(store, 'dead', config)).apply()).rejects.toMatchObject({
      code: 'KRX_UPSTREAM_AUTH_FAILED',
      extensions: { upstreamError: 'invalid_grant', upstreamStatus: 400 },
    });
    expect(store.unhealthy).toHaveLength(1);
    expect(String(store.unhealthy[0].message)).toContain(
      'invalid_grant (Token has been expired or revoked.)',
    );
  });

  it('signs an RS256 assertion for the JWT bearer grant (service accounts)', async () => {
    const store = memoryStore({ jwt: { privateKey } });
    const auth = createAuthService({ store, locks: createLocalLocks(), dispatcher });
    const config = {
      type: 'jwt_bearer',
      tokenUrl: oauth.tokenUrl,
      issuer: 'svc@example.iam',
      subject: 'user@example.com',
      scope: 'mail',
    };
    const token = await auth.session(target(store, 'jwt', config)).accessToken();
    expect(oauth.isValid(token)).toBe(true);
    const wrong = memoryStore({ jwt: { privateKey } });
    const refused = createAuthService({ store: wrong, locks: createLocalLocks(), dispatcher });
    await expect(
      refused.session(target(wrong, 'jwt', { ...config, issuer: 'intruder' })).apply(),
    ).rejects.toMatchObject({
      code: 'KRX_UPSTREAM_AUTH_FAILED',
    });
  });

  const withRedis = REDIS_URL ? it : it.skip;
  withRedis(
    `refreshes once across two nodes sharing Redis locks${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`,
    async () => {
      const store = memoryStore({ shared: { clientSecret: 'secret-1' } });
      const prefix = `krx:test:${Date.now()}:`;
      const locks: LockProvider[] = [
        createRedisLocks(REDIS_URL!, { prefix }),
        createRedisLocks(REDIS_URL!, { prefix }),
      ];
      const nodes = locks.map((l) => createAuthService({ store, locks: l, dispatcher }));
      const config = { type: 'oauth2_client_credentials', tokenUrl: oauth.tokenUrl, clientId: 'client-1' };
      const before = oauth.issued.client_credentials ?? 0;
      const tokens = await Promise.all(
        nodes.flatMap((node) =>
          [1, 2, 3].map(() => node.session(target(store, 'shared', config)).accessToken()),
        ),
      );
      expect(oauth.issued.client_credentials - before).toBe(1);
      expect(new Set(tokens).size).toBe(1);
      await Promise.all(nodes.map((node) => node.close()));
    },
  );
});
