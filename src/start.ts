/**
 * Composition root: opens the database, migrates, builds every module's services and the HTTP
 * server, and returns one handle that shuts it all down in order. `kryonix start` and the tests
 * both go through here, so what is tested is what runs.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createCatalog } from './connectors/catalog.js';
import { createConnectionService } from './connectors/connections.js';
import { createEndpointService } from './connectors/endpoints.js';
import { upsertBuiltInConnectors } from './connectors/registry.js';
import { createApiKeyAuthenticator } from './platform/auth/api-keys.js';
import { createJwtVerifier } from './platform/auth/jwt.js';
import { createKeyService } from './platform/auth/key-service.js';
import { loadKeyring, Sealer } from './platform/crypto.js';
import { type Database, openDatabase } from './platform/db/client.js';
import { createEventBus, type EventBus } from './platform/events.js';
import { bootstrapDefaultTenant, createTenantService } from './platform/tenancy.js';
import { buildServer } from './server.js';

export interface Platform {
  app: FastifyInstance;
  db: Database;
  events: EventBus;
  /** The admin key made by the first start on an empty database, to print once. */
  bootstrapKey: string | null;
  close(): Promise<void>;
}

export async function createPlatform(config: Config): Promise<Platform> {
  const sealer = new Sealer(loadKeyring(config));
  const db = await openDatabase(config);
  try {
    await db.migrate();
    await upsertBuiltInConnectors(db);
    const bootstrap = await bootstrapDefaultTenant(db);

    const events = createEventBus();
    const apiKeys = createApiKeyAuthenticator(db, events);
    const app = await buildServer({
      config,
      db,
      apiKeys,
      verifyJwt: createJwtVerifier(config.jwt),
      keys: createKeyService(db, apiKeys),
      tenants: createTenantService(db, events),
      catalog: createCatalog(db),
      connections: createConnectionService(db, sealer, events),
      endpoints: createEndpointService(db),
      readiness: [{ name: 'database', check: () => db.isReady() }],
    });

    return {
      app,
      db,
      events,
      bootstrapKey: bootstrap?.adminKey ?? null,
      async close() {
        await app.close(); // stops accepting and drains in-flight requests
        await apiKeys.close();
        await events.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
