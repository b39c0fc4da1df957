/**
 * The shared auth helpers: API key (header/query), Basic, Bearer, OAuth2 client credentials, OAuth2
 * refresh token, OAuth2 password and JWT bearer. Used by every connector and by the gateway.
 *
 * Tokens live in memory and, sealed, in the connection's credentials (`_token`), so every node sees a
 * refresh. A token is refreshed before it expires (`REFRESH_MARGIN_MS`) under a lock per connection
 * (Redis across nodes when configured); the stored credentials are re-read once the lock is held, so a
 * refresh another holder just made is used instead of repeated. A 401 refreshes once (`refresh()`).
 * A failing refresh marks the connection unhealthy with the provider's error.
 */
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../../platform/audit.js';
import { systemContext } from '../../platform/auth/system.js';
import { KryonixError } from '../../platform/errors.js';
import { requestToken, type Settings } from './token-request.js';
import type { AppliedAuth, AuthSession, CredentialStore, LockProvider, StoredToken } from './types.js';

/** Refresh this long before expiry (or at half the lifetime for short-lived tokens). */
export const REFRESH_MARGIN_MS = 60_000;

const TOKEN_METHODS = new Set([
  'oauth2_client_credentials',
  'oauth2_refresh_token',
  'oauth2_password',
  'jwt_bearer',
]);

export interface AuthTarget {
  /** Who the work is done for: decryptions and re-seals are audited as them (default: the platform itself). */
  context?: RequestContext;
  tenantId: string;
  connectionId: string;
  authConfig: Record<string, unknown> | null;
  credentials: Record<string, unknown>;
}

export interface AuthService {
  /** The auth of one connection whose credentials the caller has decrypted (audited). */
  session(target: AuthTarget): AuthSession;
  /** Drops the cached token, e.g. when the connection's credentials were replaced. */
  forget(connectionId: string): void;
  close(): Promise<void>;
}

/** The audit identity of refreshes nobody asked for by name. */
const platformContext = (tenantId: string): RequestContext =>
  systemContext('system:connector-auth', tenantId);

export function createAuthService(options: {
  store: CredentialStore;
  locks: LockProvider;
  dispatcher: Dispatcher;
  tokenTimeoutMs?: number;
  /** Refresh this long before expiry (default REFRESH_MARGIN_MS). */
  refreshMarginMs?: number;
}): AuthService {
  const { store, locks, dispatcher } = options;
  const margin = options.refreshMarginMs ?? REFRESH_MARGIN_MS;
  const cache = new Map<string, StoredToken>();

  function needsRefresh(token: StoredToken | undefined): boolean {
    return !token || token.expiresAt - Date.now() <= margin;
  }

  async function obtain(
    target: AuthTarget,
    method: string,
    settings: Settings,
    refused?: string,
  ): Promise<StoredToken> {
    return locks.withLock(`token:${target.connectionId}`, async () => {
      // Another holder may have refreshed while we waited: read what is stored now.
      const stored =
        (await store.read(
          target.context ?? platformContext(target.tenantId),
          target.tenantId,
          target.connectionId,
          'token refresh',
        )) ?? target.credentials;
      const current = stored._token as StoredToken | undefined;
      if (current && !needsRefresh(current) && current.accessToken !== refused) {
        cache.set(target.connectionId, current);
        return current;
      }
      const merged = { ...settings, ...stored };
      try {
        const response = await requestToken(method, merged, {
          dispatcher,
          refreshToken: typeof stored.refreshToken === 'string' ? stored.refreshToken : undefined,
          timeoutMs: options.tokenTimeoutMs,
        });
        const next = {
          ...stored,
          _token: response.token,
          ...(response.refreshToken ? { refreshToken: response.refreshToken } : {}),
        };
        await store.write(
          target.context ?? platformContext(target.tenantId),
          target.tenantId,
          target.connectionId,
          next,
        );
        cache.set(target.connectionId, response.token);
        return response.token;
      } catch (error) {
        cache.delete(target.connectionId);
        if (error instanceof KryonixError && error.code === 'KRX_UPSTREAM_AUTH_FAILED') {
          await store
            .markUnhealthy(target.tenantId, target.connectionId, {
              ok: false,
              message: error.message,
              details: error.extensions,
            })
            .catch(() => {});
        }
        throw error;
      }
    });
  }

  return {
    session(target) {
      const settings: Settings = { ...(target.authConfig ?? {}), ...target.credentials };
      const method = typeof settings.type === 'string' ? settings.type : 'none';

      async function token(): Promise<StoredToken> {
        const cached = cache.get(target.connectionId);
        if (cached && !needsRefresh(cached)) return cached;
        const stored = target.credentials._token as StoredToken | undefined;
        if (stored && !needsRefresh(stored)) {
          cache.set(target.connectionId, stored);
          return stored;
        }
        return obtain(target, method, settings);
      }

      return {
        method,
        async apply(): Promise<AppliedAuth> {
          const headers: Record<string, string> = {};
          const query: Record<string, string> = {};
          switch (method) {
            case 'none':
              break;
            case 'api_key': {
              const name = typeof settings.name === 'string' ? settings.name : 'X-API-Key';
              if (settings.in === 'query') query[name] = String(settings.apiKey);
              else headers[name.toLowerCase()] = String(settings.apiKey);
              break;
            }
            case 'basic':
              headers.authorization = `Basic ${Buffer.from(`${settings.username}:${settings.password}`).toString('base64')}`;
              break;
            case 'bearer':
              headers.authorization = `Bearer ${settings.token}`;
              break;
            default: {
              if (!TOKEN_METHODS.has(method))
                throw new KryonixError('KRX_VALIDATION_FAILED', `unknown auth method ${method}`);
              const current = await token();
              const type = current.tokenType.toLowerCase() === 'bearer' ? 'Bearer' : current.tokenType;
              headers.authorization = `${type} ${current.accessToken}`;
            }
          }
          return { headers, query };
        },
        async accessToken() {
          if (method === 'bearer') return String(settings.token);
          if (!TOKEN_METHODS.has(method)) return undefined;
          return (await token()).accessToken;
        },
        async refresh() {
          if (!TOKEN_METHODS.has(method)) return false;
          const refused =
            cache.get(target.connectionId)?.accessToken ??
            (target.credentials._token as StoredToken | undefined)?.accessToken;
          cache.delete(target.connectionId);
          await obtain(target, method, settings, refused);
          return true;
        },
        async tokenExtras() {
          if (!TOKEN_METHODS.has(method)) return {};
          return (await token()).extras ?? {};
        },
      };
    },
    forget(connectionId) {
      cache.delete(connectionId);
    },
    close: () => locks.close(),
  };
}
