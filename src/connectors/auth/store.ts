/** The credential store of the auth helpers, backed by the connections service. */
import type { ConnectionService } from '../connections.js';
import type { CredentialStore } from './types.js';

export function connectionCredentialStore(connections: ConnectionService): CredentialStore {
  return {
    async read(context, tenantId, connectionId, reason) {
      return (await connections.load(context, tenantId, connectionId, reason)).credentials;
    },
    write: (context, tenantId, connectionId, credentials) =>
      connections.storeRefreshedCredentials(context, tenantId, connectionId, credentials),
    async markUnhealthy(tenantId, connectionId, result) {
      await connections.recordHealth(
        tenantId,
        connectionId,
        {
          ok: false,
          message: String(result.message ?? 'auth failed'),
          details: result.details as Record<string, unknown> | undefined,
        },
        'auth',
      );
    },
  };
}
