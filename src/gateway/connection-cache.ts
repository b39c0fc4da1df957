/**
 * What the gateway knows about a connection, resolved once and kept in memory: its settings, its
 * decrypted credentials (the decryption is audited when the entry is filled), the SSRF-guarded
 * dispatcher for its tenant's allow-list, and its stored pipelines and its active endpoints' compiled.
 * Entries are dropped when the connection, one of its endpoints or its tenant changes (platform
 * events), so a call does no configuration read.
 */
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import type { ConnectionService } from '../connectors/connections.js';
import type { EndpointService } from '../connectors/endpoints.js';
import type { RequestContext } from '../platform/audit.js';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';
import { parseCidrList } from '../platform/net/cidr.js';
import type { TenantService } from '../platform/tenancy.js';
import { type CompiledTransformations, compilePresets } from '../transform/index.js';
import { createScrubber, type Scrubber } from './body.js';
import { type CircuitSettings, DEFAULT_CIRCUIT } from './circuit.js';
import { type RetryPolicy, retryPolicy } from './retry.js';
import { createGuardedDispatcher } from './ssrf.js';

export interface ResolvedConnection {
  id: string;
  tenantId: string;
  name: string;
  connectorId: string;
  baseUrl: URL;
  defaultHeaders: Record<string, string>;
  timeoutMs: number;
  retry: RetryPolicy;
  circuit: CircuitSettings;
  batchConcurrency: number;
  batchDelayMs: number;
  authConfig: Record<string, unknown> | null;
  credentials: Record<string, unknown>;
  /** Masks the credentials wherever they would reach a caller or a record. */
  scrub: Scrubber;
  dispatcher: Dispatcher;
  /** Stored pipelines run around execute calls (the streaming proxy passes bodies through untouched). */
  transformations: CompiledTransformations;
  endpoints: ResolvedEndpoint[];
}

/** A stored endpoint: a call with its method and path runs its pipelines instead of the connection's. */
export interface ResolvedEndpoint {
  id: string;
  method: string;
  /** The endpoint URL as a pattern: `{name}` stands for one path segment. */
  path: RegExp;
  transformations: CompiledTransformations;
}

/** The stored endpoint a call targets, if any: same method, path (without query) matching its URL. */
export function endpointFor(
  connection: ResolvedConnection,
  method: string,
  endpoint: string,
): ResolvedEndpoint | undefined {
  if (connection.endpoints.length === 0) return undefined;
  const path = pathOf(endpoint);
  return connection.endpoints.find((candidate) => candidate.method === method && candidate.path.test(path));
}

/** A call's endpoint and a stored endpoint URL compare as one absolute path without the query. */
const pathOf = (endpoint: string) => `/${endpoint.split('?')[0].replace(/^\/+/, '')}`;

function endpointPattern(endpointUrl: string): RegExp {
  const escaped = pathOf(endpointUrl)
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{[^/{}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}/?$`);
}

export interface ConnectionCache {
  resolve(context: RequestContext, tenantId: string, connectionId: string): Promise<ResolvedConnection>;
  close(): Promise<void>;
}

interface RestConfig {
  baseUrl?: string;
  defaultHeaders?: Record<string, string>;
  timeoutMs?: number;
  retry?: { attempts?: number; delayMs?: number };
  circuitBreaker?: Partial<CircuitSettings>;
  batchConcurrency?: number;
  batchDelay?: number;
}

export function createConnectionCache(deps: {
  config: Config;
  connections: ConnectionService;
  endpoints: EndpointService;
  tenants: TenantService;
  events: EventBus;
}): ConnectionCache {
  const { config, connections, endpoints, tenants, events } = deps;
  const entries = new Map<string, Promise<ResolvedConnection>>();
  const dispatchers = new Map<string, Dispatcher>();

  /** One pool per distinct allow-list: pooled sockets are reused unchecked, so lists must not share. */
  function dispatcherFor(allowed: readonly string[]): Dispatcher {
    const key = [...allowed].sort().join(',');
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
      dispatcher = createGuardedDispatcher({
        allowedNetworks: parseCidrList(allowed),
        agentOptions: { keepAliveTimeout: 30_000, connections: 256 },
      });
      dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  async function load(
    context: RequestContext,
    tenantId: string,
    connectionId: string,
  ): Promise<ResolvedConnection> {
    const view = await connections.get(tenantId, connectionId);
    if (view.status !== 'active') {
      throw new KryonixError(
        'KRX_CONFLICT',
        `connection ${connectionId} is ${view.status}; activate it to call it`,
      );
    }
    const settings = view.config as RestConfig;
    if (!settings.baseUrl) {
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        `connection ${connectionId} (${view.connectorId}) has no baseUrl: call it through its actions`,
      );
    }
    const tenant = await tenants.get(tenantId);
    const stored = await endpoints.active(tenantId, connectionId);
    const credentials =
      (await connections.openCredentials(context, tenantId, connectionId, 'gateway call')) ?? {};
    return {
      id: view.id,
      tenantId,
      name: view.name,
      connectorId: view.connectorId,
      baseUrl: new URL(settings.baseUrl),
      defaultHeaders: settings.defaultHeaders ?? {},
      timeoutMs: settings.timeoutMs ?? config.gatewayTimeoutMs,
      retry: retryPolicy({
        attempts: 1 + (settings.retry?.attempts ?? config.retry.attempts),
        baseDelayMs: settings.retry?.delayMs ?? config.retry.delayMs,
      }),
      circuit: { ...DEFAULT_CIRCUIT, ...settings.circuitBreaker },
      batchConcurrency: settings.batchConcurrency ?? 5,
      batchDelayMs: settings.batchDelay ?? 0,
      authConfig: view.authConfig,
      credentials,
      scrub: createScrubber(credentials),
      dispatcher: dispatcherFor([
        ...config.dangerousAllowedNetworks,
        ...(tenant.settings.allowedNetworks ?? []),
      ]),
      transformations: compilePresets({ transformations: view.transformations }),
      endpoints: stored.map((row) => ({
        id: row.id,
        method: row.httpMethod.toUpperCase(),
        path: endpointPattern(row.endpointUrl),
        transformations: compilePresets(row as Parameters<typeof compilePresets>[0]),
      })),
    };
  }

  const forgetConnection = (event: { data: unknown }) => {
    entries.delete((event.data as { connectionId: string }).connectionId);
  };
  const unsubscribes = [
    events.subscribe('connection.updated', forgetConnection),
    events.subscribe('connection.deleted', forgetConnection),
    events.subscribe('tenant.updated', (event) => {
      for (const [id, entry] of entries) {
        entry
          .then(
            (resolved) =>
              resolved.tenantId === (event.data as { tenantId: string }).tenantId && entries.delete(id),
          )
          .catch(() => {});
      }
    }),
  ];

  return {
    async resolve(context, tenantId, connectionId) {
      let entry = entries.get(connectionId);
      if (!entry) {
        entry = load(context, tenantId, connectionId);
        entries.set(connectionId, entry);
        // A failed load (not found, inactive) is not cached: the next call looks again.
        entry.catch(() => entries.delete(connectionId));
      }
      const resolved = await entry;
      // The cache is shared by tenants: another tenant's connection is simply not found.
      if (resolved.tenantId !== tenantId)
        throw new KryonixError('KRX_CONNECTION_NOT_FOUND', `connection ${connectionId} not found`);
      return resolved;
    },
    async close() {
      for (const unsubscribe of unsubscribes) unsubscribe();
      entries.clear();
      await Promise.all([...dispatchers.values()].map((dispatcher) => dispatcher.close()));
    },
  };
}
