/**
 * Composition root: opens the database, migrates, builds every module's services and the HTTP
 * server, and returns one handle that shuts it all down in order. `kryonix start` and the tests
 * both go through here, so what is tested is what runs.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from './config.js';
import { createLocalLocks, createRedisLocks } from './connectors/auth/locks.js';
import { createAuthService } from './connectors/auth/service.js';
import { connectionCredentialStore } from './connectors/auth/store.js';
import { createCatalog } from './connectors/catalog.js';
import { createConnectionService } from './connectors/connections.js';
import { createEndpointService } from './connectors/endpoints.js';
import { createTargetResolver } from './connectors/net.js';
import { providerQuotas, upsertBuiltInConnectors } from './connectors/registry.js';
import { createActionRunner } from './connectors/runner.js';
import { createResponseCache, type ResponseCache } from './gateway/cache.js';
import { createCachePolicyService } from './gateway/cache-policies.js';
import { createCircuitRegistry } from './gateway/circuit.js';
import { createConnectionCache } from './gateway/connection-cache.js';
import { createGatewayService } from './gateway/execute.js';
import { createExecutionLog, type ExecutionLog } from './gateway/execution-log.js';
import { createProxy } from './gateway/proxy.js';
import { createRateLimiter, type GatewayRateLimiter } from './gateway/ratelimit.js';
import { createRateLimitAdmin } from './gateway/ratelimit-admin.js';
import type { CounterStore } from './gateway/ratelimit-store.js';
import { createGuardedDispatcher } from './gateway/ssrf.js';
import { stepRecording as stepRecordingFor } from './gateway/step-records.js';
import { createUpstreamCaller } from './gateway/upstream.js';
import { createMonitoring, type Monitoring, sealPlainChannels } from './monitoring/index.js';
import { createApiKeyAuthenticator } from './platform/auth/api-keys.js';
import { createJwtVerifier } from './platform/auth/jwt.js';
import { createKeyService } from './platform/auth/key-service.js';
import { createTenantStatusCache, tenantStatusReader } from './platform/auth/tenant-status.js';
import { loadKeyring, Sealer } from './platform/crypto.js';
import { type Database, openDatabase } from './platform/db/client.js';
import { createRedisEventTransport } from './platform/event-transport.js';
import { createEventBus, type EventBus, type EventTransport } from './platform/events.js';
import { parseCidrList } from './platform/net/cidr.js';
import { connectRedis } from './platform/redis.js';
import { bootstrapDefaultTenant, createTenantService } from './platform/tenancy.js';
import { buildServer } from './server.js';
import { createWebhooks } from './webhooks/index.js';

export interface Platform {
  app: FastifyInstance;
  db: Database;
  events: EventBus;
  /** The gateway's response cache (memory, or Redis when REDIS_URL is set). */
  responseCache: ResponseCache;
  /** The gateway's rate limiter (rules cache, counters, upstream pauses). */
  rateLimiter: GatewayRateLimiter;
  /** Buffered execution records (flush() in tests to read them back). */
  executionLog: ExecutionLog;
  /** Metrics, logs API, stream, aggregates, alerts and the scheduled jobs. */
  monitoring: Monitoring;
  /** The admin key made by the first start on an empty database, to print once. */
  bootstrapKey: string | null;
  close(): Promise<void>;
}

/** What a process of `kryonix start --workers N` gets from its primary (src/cluster.ts). */
export interface ClusterMember {
  /** The primary serves the embedded database on this socket directory. */
  embeddedSocketDir?: string;
  /** Carries configuration-change events to the other workers when there is no Redis. */
  transport?: EventTransport;
  /** Rate-limit counters kept by the primary when there is no Redis. */
  counterStore?: CounterStore;
  /**
   * Shares this worker's metrics with the primary; returns what a scrape of this worker answers: the
   * whole cluster's metrics, merged by the primary (a scrape lands on whichever worker accepts it).
   */
  clusterMetrics?(registry: Registry): () => Promise<string>;
}

export async function createPlatform(config: Config, cluster: ClusterMember = {}): Promise<Platform> {
  const sealer = new Sealer(loadKeyring(config));
  const db = await openDatabase(config, { embeddedSocketDir: cluster.embeddedSocketDir });
  let rateLimiter: GatewayRateLimiter | undefined;
  try {
    await db.migrate();
    await upsertBuiltInConnectors(db);
    await sealPlainChannels(db, sealer);
    const bootstrap = await bootstrapDefaultTenant(db);

    // With Redis, configuration changes reach every node's caches, and live streams every node's events.
    const busRedis = config.redisUrl
      ? await connectRedis(config.redisUrl, undefined, 'event bus')
      : undefined;
    const transport = busRedis ? await createRedisEventTransport(busRedis) : cluster.transport;
    const events = createEventBus({ transport });
    const apiKeys = createApiKeyAuthenticator(db, events);
    const tenantStatus = createTenantStatusCache(tenantStatusReader(db), events);
    const responseCache = await createResponseCache({ db, events, config });
    // Its warnings go to the server's logger once there is one.
    let log: FastifyBaseLogger | undefined;
    rateLimiter = await createRateLimiter({
      db,
      events,
      config,
      logger: { warn: (obj, msg) => log?.warn(obj, msg) },
      options: { counterStore: cluster.counterStore },
    });
    const connections = createConnectionService(db, sealer, events);
    const executionLog = createExecutionLog(db);
    // Outbound calls of connectors and token endpoints go through the SSRF guard.
    const dispatcher = createGuardedDispatcher({
      allowedNetworks: parseCidrList(config.dangerousAllowedNetworks),
    });
    const connectorAuth = createAuthService({
      store: connectionCredentialStore(connections),
      locks: config.redisUrl ? createRedisLocks(config.redisUrl) : createLocalLocks(),
      dispatcher,
    });
    const actions = createActionRunner({
      connections,
      auth: connectorAuth,
      executionLog,
      events,
      dispatcher,
      defaultTimeoutMs: config.gatewayTimeoutMs,
      testTimeoutMs: config.healthCheck.timeoutMs,
      resolveTarget: createTargetResolver(parseCidrList(config.dangerousAllowedNetworks)),
    });
    const circuits = createCircuitRegistry(events);
    const stepRecording = stepRecordingFor(config.transformRecord);
    const monitoring = createMonitoring({
      config,
      db,
      sealer,
      events,
      redis: busRedis,
      executionLogStats: () => executionLog.stats(),
      circuitState: (connectionId) => circuits.state(connectionId),
      providerQuotas,
      testConnection: (context, tenantId, connectionId) => actions.test(context, tenantId, connectionId),
      runAction: (context, tenantId, connectionId, action, input) =>
        actions.run(context, tenantId, connectionId, action, input),
      dispatcher,
      log: { warn: (obj, msg) => log?.warn(obj, msg), error: (obj, msg) => log?.error(obj, msg) },
    });
    const tenants = createTenantService(db, events);
    const endpoints = createEndpointService(db, events);
    const connectionCache = createConnectionCache({ config, connections, endpoints, tenants, events });
    const gateway = createGatewayService({
      connections: connectionCache,
      limiter: rateLimiter,
      cache: responseCache,
      upstream: createUpstreamCaller({ auth: connectorAuth, circuits, pauses: rateLimiter.pauses }),
      log: executionLog,
      events,
      defaultTimeoutMs: config.gatewayTimeoutMs,
      recording: stepRecording,
    });
    const proxy = createProxy({
      connections: connectionCache,
      limiter: rateLimiter,
      pauses: rateLimiter.pauses,
      circuits,
      auth: connectorAuth,
      log: executionLog,
      events,
      maxPayloadBytes: config.maxPayloadBytes,
    });
    const webhooks = createWebhooks({
      config,
      db,
      sealer,
      events,
      steps: { recording: stepRecording, keep: (rows) => executionLog.recordTransformations(rows) },
    });
    const app = await buildServer({
      config,
      db,
      apiKeys,
      verifyJwt: createJwtVerifier(config.jwt, tenantStatus),
      keys: createKeyService(db, apiKeys),
      tenants,
      catalog: createCatalog(db),
      connections,
      actions,
      endpoints,
      rateLimiter,
      rateLimits: createRateLimitAdmin(db, rateLimiter),
      responseCache,
      cachePolicies: createCachePolicyService(db, config, responseCache),
      webhooks,
      monitoring,
      scrapeMetrics: cluster.clusterMetrics?.(monitoring.registry),
      gateway,
      proxy,
      // With REDIS_URL, a node without Redis cannot share rate limits, cache or change events: not ready.
      readiness: [
        { name: 'database', check: () => db.isReady() },
        ...(busRedis ? [{ name: 'redis', check: () => busRedis.ping() }] : []),
      ],
    });
    log = app.log;
    // A copied seed .env must not silently promise what does not happen: one line per variable.
    for (const { name, reason } of config.ignoredVariables)
      app.log.warn({ variable: name }, `${name} is set but not supported: ${reason}`);
    const limiter = rateLimiter;

    return {
      app,
      db,
      events,
      rateLimiter: limiter,
      responseCache,
      executionLog,
      monitoring,
      bootstrapKey: bootstrap?.adminKey ?? null,
      async close() {
        await app.close(); // stops accepting and drains in-flight requests
        await webhooks.close(); // stops the delivery worker, records deliveries in flight
        await monitoring.close(); // stops the scheduler, waits for a running job, ends live streams
        await responseCache.close();
        await limiter.close(); // flushes its rate_limit_logs: before the database closes
        circuits.close();
        await connectionCache.close();
        await actions.close();
        await executionLog.close();
        await connectorAuth.close();
        await dispatcher.close();
        await apiKeys.close();
        tenantStatus.close();
        await events.close();
        await db.close();
      },
    };
  } catch (error) {
    await rateLimiter?.close().catch(() => {});
    await db.close();
    throw error;
  }
}
