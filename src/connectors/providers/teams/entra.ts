/**
 * Microsoft Graph app-only tokens: MSAL (`@azure/msal-node`) performs the client credentials grant
 * against Entra ID over our transport. Its `networkClient` sends through the running action's
 * `context.http` (SSRF guard and allow-list, Retry-After learnt for the connection, the run's timeout)
 * without the connection's auth, and hands every answer back to MSAL, which parses Entra's token
 * responses and errors and keeps its throttling rules.
 *
 * Tokens: one ConfidentialClientApplication per connection, kept here and replaced when the
 * connection's Entra settings change (or dropped by `forgetGraphApp`); MSAL's in-memory cache serves
 * the token and fetches a new one 5 minutes before it expires. Not the shared token cache (lock,
 * Redis, sealed `_token`): a client credentials token has no refresh token to rotate or lose, so a
 * token per node costs one grant per node and hour, needs no cross-node lock, and no token is stored
 * at rest. On one node, concurrent callers share one grant.
 *
 * MSAL only takes an https authority, and validates it as a string: given `authorityMetadata` (whose
 * token endpoint is the connection's tokenUrl) and `knownAuthorities` it makes no discovery call, so
 * the authority is a name and the grant goes to tokenUrl (in tests a local fake over plain http).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import {
  AuthError,
  ConfidentialClientApplication,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  ServerError,
} from '@azure/msal-node';
import { parseRetryAfter } from '../../../gateway/retry.js';
import { KryonixError } from '../../../platform/errors.js';
import type { ConnectorHttp } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { missingSetting, providerError } from '../shared.js';

export const ENTRA = 'Microsoft Entra ID';
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** `/{tenant}/oauth2/v2.0/token`: MSAL needs the tenant (not common/organizations/consumers). */
export const ENTRA_TOKEN_URL_PATTERN = '^https?://[^/?#]+/[^/?#]+/oauth2/v2\\.0/token$';
const ENTRA_TOKEN_URL = new RegExp(ENTRA_TOKEN_URL_PATTERN);
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

/** Every answer that is not a 2xx goes back to MSAL, which reads Entra's error body itself. */
const NOT_SUCCESS = Array.from({ length: 300 }, (_, i) => 300 + i);

/** One token acquisition: the run whose transport MSAL uses, and what that transport saw go wrong. */
interface TokenCall {
  http: ConnectorHttp;
  /** Our transport's own failure (refused target, unreachable, timed out, not JSON). */
  failure?: unknown;
  /** Entra's refusal, as it answered. */
  refusal?: { status: number; body: Record<string, unknown>; retryAfterMs?: number };
}

const calls = new AsyncLocalStorage<TokenCall>();

async function send<T>(
  method: 'GET' | 'POST',
  url: string,
  options: NetworkRequestOptions = {},
): Promise<NetworkResponse<T>> {
  const call = calls.getStore();
  if (!call) throw new Error('MSAL sent a request outside a Graph token acquisition');
  try {
    const response = await call.http<unknown>({
      method,
      url,
      headers: options.headers,
      body: options.body,
      auth: false,
      acceptStatuses: NOT_SUCCESS,
    });
    const body = response.data;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw providerError(ENTRA, {
        status: response.status,
        message: `the token endpoint answered no JSON object (${String(body).trim().slice(0, 200)})`,
        kind: response.status >= 500 ? 'retryable' : 'server',
      });
    if (response.status >= 300)
      call.refusal = {
        status: response.status,
        body: body as Record<string, unknown>,
        retryAfterMs: parseRetryAfter(response.headers['retry-after'], Date.now()),
      };
    return { status: response.status, headers: response.headers, body: body as T };
  } catch (error) {
    call.failure = error;
    throw error;
  }
}

/** MSAL's INetworkModule over the running action's `context.http`. */
export const networkClient: INetworkModule = {
  sendGetRequestAsync: (url, options) => send('GET', url, options),
  sendPostRequestAsync: (url, options) => send('POST', url, options),
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** What went wrong, as our error: the transport's own, Entra's answer, or MSAL's. */
function tokenFailure(error: unknown, call: TokenCall): unknown {
  if (call.failure !== undefined) return call.failure;
  if (call.refusal) {
    const { status, body, retryAfterMs } = call.refusal;
    // Entra appends "Trace ID: … Correlation ID: … Timestamp: …" lines to the description
    const description = text(body.error_description)?.split(/\r?\n/)[0].trim();
    return providerError(ENTRA, {
      status,
      code: text(body.error) ?? `http_${status}`,
      message: description || 'the token endpoint refused the client credentials grant',
      kind: status === 429 ? 'rate' : status >= 500 ? 'retryable' : 'auth',
      retryAfterMs,
      details: {
        ...(Array.isArray(body.error_codes) ? { errorCodes: body.error_codes } : {}),
        ...(text(body.trace_id) ? { traceId: body.trace_id } : {}),
        ...(text(body.correlation_id) ? { correlationId: body.correlation_id } : {}),
      },
    });
  }
  const said = error instanceof AuthError ? error.errorMessage.split(/\r?\n/)[0] : undefined;
  if (error instanceof ServerError && error.status === undefined)
    // MSAL's throttling: after Entra's 429 or 5xx it sends nothing until the Retry-After (or 60 s) passed
    return new KryonixError(
      'KRX_RATE_LIMITED',
      `${ENTRA} answered 429 or 5xx shortly before; MSAL holds token requests back for its Retry-After (${said})`,
      { cause: error, extensions: { retryable: true } },
    );
  if (error instanceof AuthError)
    return new KryonixError(
      'KRX_UPSTREAM_ERROR',
      `${ENTRA}: MSAL could not get a Graph token (${error.errorCode}${said ? `: ${said}` : ''})`,
      { cause: error, extensions: { upstreamError: error.errorCode } },
    );
  return error;
}

interface GraphApp {
  /** Hash of the settings the app was built from: a change builds a new app (and cache). */
  fingerprint: string;
  app: ConfidentialClientApplication;
  scopes: string[];
  /** Acquisitions under way (from the cache when fresh, or skipping it), shared by concurrent callers. */
  pending: Map<boolean, Promise<string>>;
}

const apps = new Map<string, GraphApp>();

function authorityOf(tokenUrl: string) {
  const url = new URL(tokenUrl);
  const tenant = ENTRA_TOKEN_URL.test(tokenUrl) ? url.pathname.split('/')[1] : undefined;
  if (!tenant || MULTI_TENANT.has(tenant.toLowerCase()))
    throw missingSetting(
      `tokenUrl must be a tenant's Entra ID v2.0 token endpoint (…/{tenant id or domain}/oauth2/v2.0/token), not ${tenant ?? url.pathname}`,
    );
  const authority = `https://${url.host}/${tenant}`;
  return {
    authority,
    knownAuthorities: [url.host],
    authorityMetadata: JSON.stringify({
      token_endpoint: tokenUrl,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      issuer: `${authority}/v2.0`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
    }),
  };
}

function graphApp(context: ActionContext): GraphApp {
  const settings: Record<string, unknown> = { ...context.connection.authConfig, ...context.credentials };
  const tokenUrl = text(settings.tokenUrl);
  const clientId = text(settings.clientId);
  const clientSecret = text(settings.clientSecret);
  const scope = text(settings.scope) ?? GRAPH_SCOPE;
  if (!tokenUrl || !clientId || !clientSecret)
    throw missingSetting('Microsoft Graph calls need tokenUrl, clientId and clientSecret (an Entra ID app)');
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([tokenUrl, clientId, clientSecret, scope]))
    .digest('base64url');
  const known = apps.get(context.connection.id);
  if (known?.fingerprint === fingerprint) return known;
  const app = new ConfidentialClientApplication({
    auth: { clientId, clientSecret, ...authorityOf(tokenUrl) },
    system: { networkClient },
  });
  const created: GraphApp = {
    fingerprint,
    app,
    scopes: scope.split(/\s+/).filter(Boolean),
    pending: new Map(),
  };
  apps.set(context.connection.id, created);
  return created;
}

async function acquire(entry: GraphApp, http: ConnectorHttp, skipCache: boolean): Promise<string> {
  const call: TokenCall = { http };
  try {
    const result = await calls.run(call, () =>
      entry.app.acquireTokenByClientCredential({ scopes: entry.scopes, skipCache }),
    );
    if (!result?.accessToken) throw new KryonixError('KRX_UPSTREAM_ERROR', `${ENTRA} issued no access token`);
    return result.accessToken;
  } catch (error) {
    throw tokenFailure(error, call);
  }
}

/**
 * The connection's app-only Graph token (from MSAL's cache while it is fresh). `refused`: Graph
 * answered 401 to that token, so a cached token equal to it is skipped and a new one granted.
 */
export async function graphToken(context: ActionContext, refused?: string): Promise<string> {
  const entry = graphApp(context);
  const shared = (skipCache: boolean) => {
    let pending = entry.pending.get(skipCache);
    if (!pending) {
      pending = acquire(entry, context.http, skipCache).finally(() => entry.pending.delete(skipCache));
      entry.pending.set(skipCache, pending);
    }
    return pending;
  };
  const token = await shared(false);
  return token === refused ? shared(true) : token;
}

/** Drops a connection's MSAL app and its tokens (its settings changed, or it was deleted). */
export function forgetGraphApp(connectionId: string): void {
  apps.delete(connectionId);
}
