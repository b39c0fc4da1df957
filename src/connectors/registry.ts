/**
 * The built-in connectors, registered at start and upserted into the `connectors` table
 * (`is_built_in`), so the catalog API and connections reference rows like any other.
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../platform/db/client.js';
import { connectors } from '../platform/db/schema.js';
import { KryonixError } from '../platform/errors.js';
import { databaseConnector } from './generic/database.js';
import { emailConnector } from './generic/email.js';
import { fileConnector } from './generic/file.js';
import { grpcConnector } from './generic/grpc.js';
import { restConnector } from './generic/rest.js';
import { soapConnector } from './generic/soap.js';
import { gmailConnector } from './providers/gmail/index.js';
import { googleDriveConnector } from './providers/google-drive/index.js';
import { salesforceConnector } from './providers/salesforce/index.js';
import { sapConnector } from './providers/sap/index.js';
import { slackConnector } from './providers/slack/index.js';
import { teamsConnector } from './providers/teams/index.js';
import type { ActionDefinition, ConnectorDefinition, ProviderQuota } from './sdk.js';

export const BUILT_IN_CONNECTORS: readonly ConnectorDefinition[] = [
  restConnector,
  databaseConnector,
  emailConnector,
  soapConnector,
  grpcConnector,
  fileConnector,
  slackConnector,
  salesforceConnector,
  sapConnector,
  gmailConnector,
  googleDriveConnector,
  teamsConnector,
];

/**
 * Every version of a built-in this build still runs. A connection pins the version it was created with;
 * a newer build keeps old majors here (e.g. `restConnectorV1`) for as long as connections use them.
 */
const RUNNABLE: readonly ConnectorDefinition[] = [...BUILT_IN_CONNECTORS];

export function builtInConnector(id: string): ConnectorDefinition | undefined {
  return BUILT_IN_CONNECTORS.find((connector) => connector.id === id);
}

const major = (version: string) => version.split('.')[0];

/** The definition a connection pinned to `version` runs with: the same version, else the newest of its major. */
export function resolveBuiltIn(id: string, version: string): ConnectorDefinition {
  const candidates = RUNNABLE.filter((connector) => connector.id === id);
  const exact = candidates.find((connector) => connector.version === version);
  if (exact) return exact;
  const compatible = candidates.filter((connector) => major(connector.version) === major(version));
  if (compatible.length > 0)
    return compatible.sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }))[0];
  throw new KryonixError(
    'KRX_CONNECTOR_NOT_FOUND',
    `connector ${id} version ${version} is no longer available; update the connection`,
  );
}

/** Provider quotas the built-in connectors track, with the connector they belong to (for /metrics). */
export function providerQuotas(): (ProviderQuota & { connector: string })[] {
  return BUILT_IN_CONNECTORS.flatMap((connector) =>
    [...(connector.quotas?.() ?? [])].map((quota) => ({ ...quota, connector: connector.id })),
  );
}

/** What the catalog shows of an action (stored in connectors.endpoints). */
export function describeAction(action: ActionDefinition) {
  return {
    name: action.name,
    description: action.description,
    classification: action.classification,
    idempotent: action.idempotent,
    input: action.input,
    output: action.output,
  };
}

export async function upsertBuiltInConnectors(db: Database): Promise<void> {
  await db.withPlatform(async (tx) => {
    for (const connector of BUILT_IN_CONNECTORS) {
      const row = {
        name: connector.id,
        displayName: connector.displayName,
        description: connector.description,
        connectorType: connector.type,
        category: connector.category,
        provider: connector.provider ?? null,
        version: connector.version,
        iconUrl: connector.iconUrl ?? null,
        documentationUrl: connector.docsUrl ?? null,
        configSchema: connector.config,
        authSchema: connector.auth,
        supportedMethods: connector.supportedMethods ?? null,
        rateLimits: connector.rateLimits ?? null,
        endpoints: connector.actions.map(describeAction),
        isBuiltIn: true,
      };
      await tx
        .insert(connectors)
        .values(row)
        .onConflictDoUpdate({
          target: connectors.name,
          targetWhere: sql`${connectors.tenantId} IS NULL`,
          set: { ...row, updatedAt: sql`now()` },
        });
    }
  });
}
