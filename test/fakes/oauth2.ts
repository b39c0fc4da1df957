/**
 * A local OAuth 2.0 token server (RFC 6749 + RFC 7523 JWT bearer) that answers like the common
 * providers: form-encoded POST /token, `{access_token, token_type, expires_in, refresh_token?}`,
 * errors as 400 `{error, error_description}`. Resource servers in tests ask it whether a token is valid.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';

export interface FakeOAuth2Options {
  clientId: string;
  clientSecret: string;
  /** Refresh tokens accepted; each use rotates it (the old one stops working). */
  refreshTokens?: string[];
  /** PEM public key that verifies JWT bearer assertions, and the issuer expected. */
  jwtPublicKey?: string;
  jwtIssuer?: string;
  expiresIn?: number;
  /** Delay before answering, to let concurrent refreshes overlap. */
  delayMs?: number;
  /** Extra fields of every success answer (e.g. `instance_url`). */
  extra?: Record<string, unknown>;
}

export interface FakeOAuth2 {
  url: string;
  tokenUrl: string;
  /** Token requests answered with a token, by grant type. */
  issued: Record<string, number>;
  requests: Array<Record<string, string>>;
  isValid(token: string | undefined): boolean;
  /** Makes every issued token invalid (as if the provider revoked the session). */
  revokeAll(): void;
  /** The refresh token currently valid (after rotation). */
  currentRefreshTokens(): string[];
  setExpiresIn(seconds: number): void;
  close(): Promise<void>;
}

export async function startFakeOAuth2(options: FakeOAuth2Options): Promise<FakeOAuth2> {
  const valid = new Set<string>();
  const refreshTokens = new Set(options.refreshTokens ?? []);
  const issued: Record<string, number> = {};
  const requests: Array<Record<string, string>> = [];
  let expiresIn = options.expiresIn ?? 3600;
  const publicKey = options.jwtPublicKey ? await importSPKI(options.jwtPublicKey, 'RS256') : undefined;
  let baseUrl = '';

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', async () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== '/token') return reply(404, { error: 'not_found' });
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return reply(400, { error: 'invalid_request', error_description: 'form body expected' });
      }
      const form = Object.fromEntries(new URLSearchParams(raw));
      requests.push(form);
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      let clientId = form.client_id;
      let clientSecret = form.client_secret;
      const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
      if (basic)
        [clientId, clientSecret] = Buffer.from(basic[1], 'base64')
          .toString()
          .split(':')
          .map(decodeURIComponent);
      const grant = form.grant_type;
      let newRefresh: string | undefined;
      if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        if (!publicKey) return reply(400, { error: 'unsupported_grant_type' });
        try {
          await jwtVerify(form.assertion, publicKey, {
            issuer: options.jwtIssuer,
            audience: `${baseUrl}/token`,
            algorithms: ['RS256'],
          });
        } catch (error) {
          return reply(400, {
            error: 'invalid_grant',
            error_description: `Invalid JWT: ${(error as Error).message}`,
          });
        }
      } else {
        if (clientId !== options.clientId || clientSecret !== options.clientSecret) {
          return reply(401, { error: 'invalid_client', error_description: 'Client authentication failed' });
        }
        if (grant === 'refresh_token') {
          if (!refreshTokens.has(form.refresh_token)) {
            return reply(400, {
              error: 'invalid_grant',
              error_description: 'Token has been expired or revoked.',
            });
          }
          refreshTokens.delete(form.refresh_token);
          newRefresh = `rt-${randomBytes(8).toString('hex')}`;
          refreshTokens.add(newRefresh);
        } else if (grant !== 'client_credentials') {
          return reply(400, { error: 'unsupported_grant_type' });
        }
      }
      const token = `at-${randomBytes(12).toString('hex')}`;
      valid.add(token);
      issued[grant] = (issued[grant] ?? 0) + 1;
      reply(200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: expiresIn,
        ...(newRefresh ? { refresh_token: newRefresh } : {}),
        ...options.extra,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    tokenUrl: `${baseUrl}/token`,
    issued,
    requests,
    isValid: (token) => token !== undefined && valid.has(token),
    revokeAll: () => valid.clear(),
    currentRefreshTokens: () => [...refreshTokens],
    setExpiresIn(seconds) {
      expiresIn = seconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
