import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKryonixError } from '../../platform/errors.js';
import { type InboundAuth, verifyInbound } from './index.js';
import { NOW, NOW_SECONDS, request } from './test-support.js';

const BODY = '{"event":"ping"}';
const SECRET = 'a-32-byte-long-hs256-secret-0001';
const OLD_SECRET = 'a-32-byte-long-hs256-secret-0000';

const claims = (extra: JWTPayload = {}): JWTPayload => ({
  iss: 'https://issuer.example',
  aud: 'kryonix',
  iat: NOW_SECONDS,
  exp: NOW_SECONDS + 300,
  jti: 'delivery-1',
  ...extra,
});

function hs256(payload: JWTPayload, secret = SECRET): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('jwt HS256', () => {
  const auth: InboundAuth = {
    type: 'jwt',
    secrets: [SECRET, OLD_SECRET],
    config: { algorithm: 'HS256', issuer: 'https://issuer.example', audience: 'kryonix' },
  };
  const verify = async (headers: Record<string, string>) => verifyInbound(request(headers, BODY), auth, NOW);

  it('accepts a valid token signed with either secret of a rotation', async () => {
    await expect(verify(bearer(await hs256(claims())))).resolves.toEqual({ ok: true });
    await expect(verify(bearer(await hs256(claims(), OLD_SECRET)))).resolves.toEqual({ ok: true });
  });

  it('rejects a wrong secret, naming the signature', async () => {
    await expect(verify(bearer(await hs256(claims(), 'another-secret-entirely-000000000')))).resolves.toEqual(
      {
        ok: false,
        reason: 'signature mismatch',
      },
    );
  });

  it('reports the claim that failed, not the signature of the other rotation secret', async () => {
    const cases: [JWTPayload, string][] = [
      [claims({ exp: NOW_SECONDS - 60 }), 'token expired'],
      [claims({ nbf: NOW_SECONDS + 120 }), 'claim nbf invalid'],
      [claims({ iss: 'https://evil.example' }), 'claim iss invalid'],
      [claims({ aud: 'someone-else' }), 'claim aud invalid'],
      [claims({ exp: undefined }), 'claim exp missing'],
    ];
    for (const [payload, reason] of cases) {
      await expect(verify(bearer(await hs256(payload)))).resolves.toEqual({ ok: false, reason });
    }
  });

  it('allows a little clock drift', async () => {
    await expect(verify(bearer(await hs256(claims({ exp: NOW_SECONDS - 10 }))))).resolves.toEqual({
      ok: true,
    });
  });

  it('rejects a missing header and a malformed token', async () => {
    await expect(verify({})).resolves.toEqual({ ok: false, reason: 'missing header authorization' });
    await expect(verify(bearer('not.a.jwt'))).resolves.toEqual({ ok: false, reason: 'malformed token' });
  });

  it('pins the algorithm: an unsigned token and an RS256 token are refused', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`;
    await expect(verify(bearer(unsigned))).resolves.toEqual({
      ok: false,
      reason: 'token algorithm not allowed',
    });
    const { privateKey } = await generateKeyPair('RS256');
    const rs = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    await expect(verify(bearer(rs))).resolves.toEqual({ ok: false, reason: 'token algorithm not allowed' });
  });

  it('reads a token from a configured header without the Bearer scheme', async () => {
    const custom: InboundAuth = {
      type: 'jwt',
      secrets: [SECRET],
      config: { algorithm: 'HS256', header: 'X-Token' },
    };
    const token = await hs256(claims());
    await expect(verifyInbound(request({ 'x-token': token }, BODY), custom, NOW)).resolves.toEqual({
      ok: true,
    });
  });
});

describe('jwt RS256 with a public key', () => {
  it('accepts a token signed by the private key and rejects another key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const other = await generateKeyPair('RS256');
    const auth: InboundAuth = {
      type: 'jwt',
      secrets: [],
      config: { algorithm: 'RS256', publicKey: await exportSPKI(publicKey) },
    };
    const good = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    const bad = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(other.privateKey);
    await expect(verifyInbound(request(bearer(good), BODY), auth, NOW)).resolves.toEqual({ ok: true });
    await expect(verifyInbound(request(bearer(bad), BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });
});

describe('jwt ES256 with a JWKS URL', () => {
  let server: Server;
  let baseUrl: string;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;

  beforeAll(async () => {
    keys = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((req, res) => {
      if (req.url === '/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const es256 = (kid = 'k1') =>
    new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid }).sign(keys.privateKey);

  it('accepts a token whose key is in the set, and rejects an unknown kid', async () => {
    const auth: InboundAuth = {
      type: 'jwt',
      secrets: [],
      config: { algorithm: 'ES256', jwksUrl: `${baseUrl}/jwks.json` },
    };
    await expect(verifyInbound(request(bearer(await es256()), BODY), auth, NOW)).resolves.toEqual({
      ok: true,
    });
    await expect(verifyInbound(request(bearer(await es256('k2')), BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'no key matches the token',
    });
  });

  it('answers an unreachable key set as our outage (KRX_UNAVAILABLE), not as a bad token', async () => {
    for (const jwksUrl of [`${baseUrl}/missing.json`, 'http://127.0.0.1:1/jwks.json']) {
      const auth: InboundAuth = { type: 'jwt', secrets: [], config: { algorithm: 'ES256', jwksUrl } };
      const error = await verifyInbound(request(bearer(await es256()), BODY), auth, NOW).catch(
        (e: unknown) => e,
      );
      expect(isKryonixError(error) && error.code).toBe('KRX_UNAVAILABLE');
    }
  });
});
