import type { RequestContext } from '../../platform/audit.js';

/** What the shared auth helpers give a connector or the gateway for one connection. */
export interface AppliedAuth {
  headers: Record<string, string>;
  query: Record<string, string>;
}

export interface AuthSession {
  /** The auth method's type (`none`, `api_key`, `basic`, `bearer`, `oauth2_*`, `jwt_bearer`). */
  readonly method: string;
  /** Headers and query parameters that authenticate a request; tokens are fetched or refreshed as needed. */
  apply(): Promise<AppliedAuth>;
  /** The current bearer token (OAuth2 and JWT bearer methods), for SDKs that take one. */
  accessToken(): Promise<string | undefined>;
  /** The upstream refused the token (401): get a new one. False when the method has nothing to refresh. */
  refresh(): Promise<boolean>;
  /** Extra fields of the last token response (e.g. Salesforce's `instance_url`). */
  tokenExtras(): Promise<Record<string, unknown>>;
}

/** A token as cached in memory and stored (sealed) in the connection's credentials under `_token`. */
export interface StoredToken {
  accessToken: string;
  tokenType: string;
  /** Unix time in ms. */
  expiresAt: number;
  extras?: Record<string, unknown>;
}

/** Where the helpers read and re-seal a connection's credentials: the connections service implements it. */
export interface CredentialStore {
  /** Decrypts (audited as `context`). */
  read(
    context: RequestContext,
    tenantId: string,
    connectionId: string,
    reason: string,
  ): Promise<Record<string, unknown> | null>;
  /** Re-seals (audited as `context`). */
  write(
    context: RequestContext,
    tenantId: string,
    connectionId: string,
    credentials: Record<string, unknown>,
  ): Promise<void>;
  markUnhealthy(tenantId: string, connectionId: string, result: Record<string, unknown>): Promise<void>;
}

/** One holder at a time per key; across nodes when Redis backs it. */
export interface LockProvider {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
