/** Builds the Fastify app from the modules' services. Nothing else lives here. */
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import { actionRoutes, connectionTestRoutes } from './api/actions.routes.js';
import { alertRoutes } from './api/alerts.routes.js';
import { apiKeyRoutes } from './api/api-keys.routes.js';
import { auditRoutes } from './api/audit.routes.js';
import { cacheRoutes } from './api/cache.routes.js';
import { connectionRoutes } from './api/connections.routes.js';
import { connectorRoutes } from './api/connectors.routes.js';
import { dashboardRoutes } from './api/dashboard.routes.js';
import { executionRoutes } from './api/executions.routes.js';
import { gatewayRoutes } from './api/gateway.routes.js';
import { healthRoutes, type ReadinessCheck } from './api/health.routes.js';
import { meRoutes } from './api/me.routes.js';
import { monitoringRoutes } from './api/monitoring.routes.js';
import { prometheusRoutes } from './api/monitoring-prometheus.routes.js';
import { type DirectRoute, directProxyRoute, serverWithDirectRoute } from './api/proxy-direct.js';
import { rateLimitRoutes } from './api/rate-limits.routes.js';
import { problemSchema } from './api/schemas.js';
import { streamRoutes } from './api/stream.routes.js';
import { tenantRoutes } from './api/tenants.routes.js';
import { transformRoutes } from './api/transform.routes.js';
import { webhookRoutes } from './api/webhooks.routes.js';
import { inboundWebhookRoutes } from './api/webhooks-inbound.routes.js';
import type { Config } from './config.js';
import type { Catalog } from './connectors/catalog.js';
import type { ConnectionService } from './connectors/connections.js';
import type { EndpointService } from './connectors/endpoints.js';
import type { ActionRunner } from './connectors/runner.js';
import type { ResponseCache } from './gateway/cache.js';
import type { CachePolicyService } from './gateway/cache-policies.js';
import type { GatewayService } from './gateway/execute.js';
import type { GatewayProxy } from './gateway/proxy.js';
import type { GatewayRateLimiter } from './gateway/ratelimit.js';
import type { RateLimitAdmin } from './gateway/ratelimit-admin.js';
import type { Monitoring } from './monitoring/index.js';
import type { ApiKeyAuthenticator } from './platform/auth/api-keys.js';
import type { JwtVerifier } from './platform/auth/jwt.js';
import type { KeyService } from './platform/auth/key-service.js';
import type { Database } from './platform/db/client.js';
import { createCredentialCheck, installAuthentication } from './platform/http/authenticate.js';
import { installProblemHandlers } from './platform/http/problems.js';
import { installStrictInput } from './platform/http/strict-input.js';
import { validatorCompiler } from './platform/http/validation.js';
import {
  AccessLogController,
  accessLogWriter,
  bufferedStdout,
  loggerOptions,
  requestIdOf,
} from './platform/logging.js';
import type { TenantService } from './platform/tenancy.js';
import type { Webhooks } from './webhooks/index.js';

export interface AppServices {
  config: Config;
  db: Database;
  apiKeys: ApiKeyAuthenticator;
  verifyJwt: JwtVerifier;
  keys: KeyService;
  tenants: TenantService;
  catalog: Catalog;
  connections: ConnectionService;
  endpoints: EndpointService;
  rateLimiter: GatewayRateLimiter;
  rateLimits: RateLimitAdmin;
  actions: ActionRunner;
  responseCache: ResponseCache;
  cachePolicies: CachePolicyService;
  webhooks: Webhooks;
  monitoring: Monitoring;
  /** What a Prometheus scrape answers, when not this process's own registry (`--workers`). */
  scrapeMetrics?: () => Promise<string>;
  gateway: GatewayService;
  proxy: GatewayProxy;
  readiness: ReadinessCheck[];
}

/** Fastify's default, kept on the server made for it. */
const FASTIFY_KEEP_ALIVE_MS = 72_000;

export async function buildServer(services: AppServices): Promise<FastifyInstance> {
  const { config } = services;
  const logs = bufferedStdout();
  const writeAccessLine = accessLogWriter(logs.stream, () => app.log.level);
  let direct: DirectRoute | undefined;
  const app = Fastify({
    // The proxy's hot path is answered ahead of the router (src/api/proxy-direct.ts).
    serverFactory: (handler) =>
      serverWithDirectRoute(handler, () => direct, {
        keepAliveTimeout: FASTIFY_KEEP_ALIVE_MS,
        requestTimeout: 0,
      }),
    keepAliveTimeout: FASTIFY_KEEP_ALIVE_MS,
    logger: loggerOptions(config.logLevel, logs.stream),
    logController: new AccessLogController(writeAccessLine),
    bodyLimit: config.maxPayloadBytes,
    genReqId: requestIdOf,
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.addHook('onClose', async () => logs.close());
  app.setValidatorCompiler(validatorCompiler);
  // The admin API speaks JSON only; modules that take other bodies (proxy, inbound webhooks) add
  // their own parsers in their own scope.
  app.removeContentTypeParser('text/plain');
  // Draining on shutdown: a request in flight when close() began keeps its keep-alive connection,
  // which held the process up to Fastify's keepAliveTimeout (72 s) after SIGTERM. Its response says
  // `connection: close` so the socket ends with it.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // Callback style: an async hook costs a promise and a microtask turn on every response.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
    done(null, payload);
  });
  installProblemHandlers(app);
  app.addSchema(problemSchema);

  if (config.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: config.corsOrigins.includes('*') ? '*' : [...config.corsOrigins],
      exposedHeaders: ['x-request-id'],
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'KRYONIX Integration Platform', version: '0.1.0' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key (krx_...) or a JWT' },
          apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
  });
  // The interactive docs are public; the schema they load is too (it documents, it does not grant).
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) route.config = { ...route.config, access: 'public' };
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });

  const checkCredential = createCredentialCheck(services.apiKeys, services.verifyJwt);
  installAuthentication(app, checkCredential);

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes, { checks: services.readiness });
  const { registry } = services.monitoring;
  await app.register(prometheusRoutes, {
    metrics: services.scrapeMetrics ?? (() => registry.metrics()),
    contentType: registry.contentType,
    token: config.metricsToken,
  });
  await app.register(
    async (api) => {
      installStrictInput(api);
      await api.register(connectorRoutes, services);
      await api.register(connectionRoutes, services);
      await api.register(connectionTestRoutes, services);
      await api.register(apiKeyRoutes, services);
      await api.register(tenantRoutes, services);
      await api.register(auditRoutes, services);
      await api.register(webhookRoutes, services);
      await api.register(cacheRoutes, services);
      await api.register(rateLimitRoutes, services);
      await api.register(transformRoutes);
      await api.register(executionRoutes, services);
      await api.register(streamRoutes, services);
      await api.register(monitoringRoutes, services);
      await api.register(alertRoutes, services);
      await api.register(meRoutes);
    },
    { prefix: '/api/integrations' },
  );
  // Inbound webhooks: public, raw bodies, in a scope of their own.
  if (config.roles.includes('webhooks')) {
    await app.register(inboundWebhookRoutes, {
      webhooks: services.webhooks,
      bodyLimit: config.maxPayloadBytes,
    });
  }
  // The runtime API: calls made through connections.
  await app.register(
    async (v1) => {
      installStrictInput(v1);
      await v1.register(actionRoutes, services);
      await v1.register(gatewayRoutes, services);
    },
    { prefix: '/api/v1' },
  );
  direct = directProxyRoute({
    proxy: services.proxy,
    checkCredential,
    log: app.log,
    writeAccessLine,
    trustedProxies: config.trustedProxies,
    cors: config.corsOrigins.length > 0,
    closing: () => closing,
  });
  // The dashboard SPA at `/` (public pages; its API calls carry the user's key). Last: a catch-all.
  await app.register(dashboardRoutes);
  return app;
}
