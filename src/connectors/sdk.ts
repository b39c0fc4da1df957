/**
 * The one shape of a connector: declared once as data plus small functions. The catalog table, the
 * admin API's validation, the action runner and the dashboard's forms all read these declarations.
 */
import type { Readable } from 'node:stream';
import type { AuthSession } from './auth/types.js';
import type { ConnectorHttp } from './http.js';

export type ConnectorType = 'rest' | 'soap' | 'grpc' | 'database' | 'file' | 'email' | 'custom';

/** A JSON Schema object; every field should carry a `description` so forms and OpenAPI can show it. */
export type JsonSchema = Record<string, unknown>;

/** read: no side effect; write: changes data; destructive: deletes or overwrites data. */
export type ActionClassification = 'read' | 'write' | 'destructive';

/** A connection as an action sees it: settings, decrypted secrets, and helpers bound to it. */
export interface ActionContext {
  readonly connection: {
    readonly id: string;
    readonly tenantId: string;
    readonly name: string;
    readonly connectorVersion: string;
    readonly config: Record<string, unknown>;
    readonly authConfig: Record<string, unknown> | null;
  };
  /** Decrypted secrets: never log them, never return them. */
  readonly credentials: Record<string, unknown>;
  /** Auth headers/query for this connection (tokens cached and refreshed by the shared helpers). */
  readonly auth: AuthSession;
  /** HTTP with this connection's auth, SSRF guard, error mapping and provider rate-limit headers. */
  readonly http: ConnectorHttp;
  /** Resolves a host for a socket the action opens itself, refusing what the SSRF guard forbids. */
  readonly resolveTarget: (host: string) => Promise<string>;
  /** Aborted when the connection's timeout elapses or the caller goes away. */
  readonly signal: AbortSignal;
  /** Milliseconds left before the timeout. */
  readonly deadline: number;
  /**
   * The HTTP request body as a stream, when the caller sent raw bytes (not JSON) to an action that
   * declares `rawBody`; the input then comes from the query string.
   */
  readonly body?: { readonly stream: Readable; readonly contentType: string };
}

/**
 * An action's answer sent as the HTTP response body itself, streamed, instead of JSON: for content too
 * large to hold in memory. The runner records the execution when the stream ends.
 */
export class StreamedBody {
  constructor(
    readonly stream: Readable,
    readonly contentType: string,
    /** Bytes the stream carries, when known (sent as Content-Length). */
    readonly size?: number,
    /** Suggested file name (Content-Disposition). */
    readonly fileName?: string,
  ) {}
}

export interface ActionDefinition<Input = unknown, Output = unknown> {
  /** Stable name, used in `POST /api/v1/connections/:id/actions/:action`. */
  name: string;
  description: string;
  input: JsonSchema;
  output: JsonSchema;
  classification: ActionClassification;
  /** Whether running it twice has the effect of running it once: only these are retried. */
  idempotent: boolean;
  /**
   * What a raw (non-JSON) request body carries, for actions that take one as a stream
   * (`context.body`); such a run is never retried, the body being consumed.
   */
  rawBody?: string;
  run(context: ActionContext, input: Input): Promise<Output>;
}

export function defineAction<Input = unknown, Output = unknown>(
  action: ActionDefinition<Input, Output>,
): Readonly<ActionDefinition<Input, Output>> {
  return Object.freeze(action);
}

export interface TestResult {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

/** Which upstream answers are worth another attempt, and where the provider says how long to wait. */
export interface RetryRules {
  /** Upstream statuses retried (for idempotent actions); others are final. */
  statuses: number[];
  /** Headers carrying the wait: seconds or an HTTP date (`retry-after`), in order of preference. */
  retryAfterHeaders?: string[];
}

/** Where the provider reports its own limits; when `remaining` hits 0 calls wait for the reset. */
export interface RateLimitHeaders {
  remaining?: string;
  limit?: string;
  reset?: string;
  /** `seconds` to wait, or `epoch-seconds` (a Unix time). */
  resetUnit?: 'seconds' | 'epoch-seconds';
}

/** How a provider's error body reads: turns it into a clear message and the provider's code. */
export type ErrorDescriber = (
  status: number,
  body: unknown,
) => { message: string; code?: string } | undefined;

export interface ConnectorDefinition {
  /** Catalog id, e.g. `rest`, `salesforce`: stable, used by API callers as `connectorId`. */
  id: string;
  version: string;
  displayName: string;
  description: string;
  type: ConnectorType;
  category: string;
  provider?: string;
  iconUrl?: string;
  docsUrl?: string;
  /** Schema of `connection.config`. */
  config: JsonSchema;
  /**
   * Schema of the auth a connection supplies, validated against `{ ...authConfig, ...credentials }`:
   * non-secret settings go in `authConfig`, secrets (fields marked `writeOnly`) in `credentials`.
   */
  auth: JsonSchema;
  supportedMethods?: string[];
  /** The provider's own documented limits, e.g. `{ requestsPerMinute: 100 }`. */
  rateLimits?: Record<string, unknown>;
  rateLimitHeaders?: RateLimitHeaders;
  retry?: RetryRules;
  describeError?: ErrorDescriber;
  /** Checks the connection works (health checks call it too); throws or answers `ok: false`. */
  test(context: ActionContext): Promise<TestResult>;
  actions: readonly ActionDefinition[];
  /** Frees what the connector keeps between runs (pools, clients) at shutdown. */
  shutdown?(): Promise<void>;
  /** Frees what the connector keeps for one connection (its settings changed or it was deleted). */
  release?(connectionId: string): Promise<void>;
  /** Provider quotas as the provider last reported them, per connection (exported as metrics). */
  quotas?(): Iterable<ProviderQuota>;
}

/** A provider-side limit and its use, e.g. Salesforce's API requests per 24 hours. */
export interface ProviderQuota {
  connectionId: string;
  /** A fixed name chosen by the connector (`api_requests`), never provider or tenant text. */
  quota: string;
  used: number;
  limit: number;
}

export const DEFAULT_RETRY_RULES: RetryRules = Object.freeze({
  statuses: [408, 429, 500, 502, 503, 504],
  retryAfterHeaders: ['retry-after'],
});

export function defineConnector(definition: ConnectorDefinition): Readonly<ConnectorDefinition> {
  const names = new Set<string>();
  for (const action of definition.actions) {
    if (names.has(action.name))
      throw new Error(`connector ${definition.id} declares action ${action.name} twice`);
    names.add(action.name);
  }
  return Object.freeze(definition);
}

export function actionOf(connector: ConnectorDefinition, name: string): ActionDefinition | undefined {
  return connector.actions.find((action) => action.name === name);
}
