/**
 * Token endpoint calls of the OAuth2 grants the helpers support: client credentials, refresh token and
 * JWT bearer (RFC 7523, service accounts). Each answers a StoredToken or throws KRX_UPSTREAM_AUTH_FAILED
 * carrying the provider's `error` and `error_description`.
 */
import { importPKCS8, SignJWT } from 'jose';
import { type Dispatcher, request } from 'undici';
import { KryonixError } from '../../platform/errors.js';
import type { StoredToken } from './types.js';

export interface TokenResponse {
  token: StoredToken;
  /** A rotated refresh token, when the provider sent one. */
  refreshToken?: string;
}

/** Lifetime assumed when a provider sends no `expires_in` (Salesforce does not). */
const DEFAULT_LIFETIME_SECONDS = 3600;

export type Settings = Record<string, unknown>;

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function clientAuth(settings: Settings, form: Record<string, string>, headers: Record<string, string>): void {
  const clientId = str(settings.clientId);
  const clientSecret = str(settings.clientSecret);
  if (!clientId) return;
  if (settings.clientAuth === 'basic') {
    const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret ?? '')}`;
    headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
  } else {
    form.client_id = clientId;
    if (clientSecret) form.client_secret = clientSecret;
  }
}

async function jwtAssertion(settings: Settings): Promise<string> {
  const privateKey = str(settings.privateKey);
  if (!privateKey) throw new KryonixError('KRX_VALIDATION_FAILED', 'jwt_bearer auth needs a privateKey');
  const key = await importPKCS8(privateKey, 'RS256');
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {};
  if (str(settings.scope)) claims.scope = settings.scope;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({
      alg: 'RS256',
      typ: 'JWT',
      ...(str(settings.keyId) ? { kid: settings.keyId as string } : {}),
    })
    .setIssuer(String(settings.issuer))
    .setAudience(str(settings.audience) ?? String(settings.tokenUrl))
    .setIssuedAt(now)
    .setExpirationTime(now + Math.min(Number(settings.assertionLifetimeSeconds ?? 3600), 3600));
  if (str(settings.subject)) jwt.setSubject(settings.subject as string);
  return jwt.sign(key);
}

async function grantForm(
  method: string,
  settings: Settings,
  refreshToken: string | undefined,
): Promise<Record<string, string>> {
  switch (method) {
    case 'oauth2_client_credentials': {
      const form: Record<string, string> = { grant_type: 'client_credentials' };
      if (str(settings.scope)) form.scope = settings.scope as string;
      if (str(settings.audience)) form.audience = settings.audience as string;
      return form;
    }
    case 'oauth2_refresh_token': {
      if (!refreshToken)
        throw new KryonixError('KRX_VALIDATION_FAILED', 'oauth2_refresh_token auth needs a refreshToken');
      const form: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
      if (str(settings.scope)) form.scope = settings.scope as string;
      return form;
    }
    case 'oauth2_password': {
      return {
        grant_type: 'password',
        username: String(settings.username ?? ''),
        password: `${settings.password ?? ''}${settings.securityToken ?? ''}`,
      };
    }
    case 'jwt_bearer':
      return {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: await jwtAssertion(settings),
      };
    default:
      throw new KryonixError('KRX_VALIDATION_FAILED', `auth method ${method} has no token endpoint`);
  }
}

export async function requestToken(
  method: string,
  settings: Settings,
  options: { dispatcher: Dispatcher; refreshToken?: string; timeoutMs?: number },
): Promise<TokenResponse> {
  const tokenUrl = str(settings.tokenUrl);
  if (!tokenUrl) throw new KryonixError('KRX_VALIDATION_FAILED', `${method} auth needs a tokenUrl`);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const form = await grantForm(method, settings, options.refreshToken);
  if (method !== 'jwt_bearer') clientAuth(settings, form, headers);
  let status: number;
  let text: string;
  try {
    const response = await request(tokenUrl, {
      method: 'POST',
      headers,
      body: new URLSearchParams(form).toString(),
      dispatcher: options.dispatcher,
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    if (error instanceof KryonixError) throw error;
    throw new KryonixError(
      'KRX_UPSTREAM_UNREACHABLE',
      `the token endpoint could not be reached (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: reported below
  }
  if (status < 200 || status >= 300 || typeof body.access_token !== 'string') {
    const providerError = str(body.error) ?? `http_${status}`;
    const description =
      str(body.error_description) ?? str((body.error as { message?: string } | undefined)?.message);
    const error = status >= 500 || status === 429 ? 'KRX_UPSTREAM_ERROR' : 'KRX_UPSTREAM_AUTH_FAILED';
    throw new KryonixError(
      error,
      `the token endpoint refused the ${method} grant: ${providerError}${description ? ` (${description})` : ''}`,
      {
        extensions: {
          upstreamStatus: status,
          upstreamError: providerError,
          ...(description ? { upstreamMessage: description } : {}),
        },
      },
    );
  }
  const { access_token, token_type, expires_in, refresh_token, ...extras } = body;
  const lifetime = Number(expires_in ?? settings.tokenLifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS);
  return {
    token: {
      accessToken: access_token as string,
      tokenType: str(token_type) ?? 'Bearer',
      expiresAt: Date.now() + (Number.isFinite(lifetime) ? lifetime : DEFAULT_LIFETIME_SECONDS) * 1000,
      extras: Object.fromEntries(
        Object.entries(extras).filter(([, v]) => typeof v === 'string' || typeof v === 'number'),
      ),
    },
    refreshToken: str(refresh_token),
  };
}
