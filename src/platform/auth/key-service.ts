/** A tenant admin's management of the tenant's own API keys. */
import { audit, type RequestContext } from '../audit.js';
import type { Database } from '../db/client.js';
import { KryonixError } from '../errors.js';
import { type ApiKeyAuthenticator, type ApiKeyView, insertApiKey, listApiKeys } from './api-keys.js';
import type { TenantRole } from './principal.js';

export function createKeyService(db: Database, authenticator: ApiKeyAuthenticator) {
  return {
    list: (tenantId: string): Promise<ApiKeyView[]> => listApiKeys(db, tenantId),

    create(
      context: RequestContext,
      tenantId: string,
      input: { name: string; role: TenantRole; expiresAt?: Date | null },
    ) {
      return db.withTenant(tenantId, async (tx) => {
        const created = await insertApiKey(tx, { tenantId, ...input, createdBy: context.principal.subject });
        await audit(tx, context, {
          action: 'api_key.create',
          resourceType: 'api_key',
          resourceId: created.view.id,
          details: { role: input.role },
        });
        return created;
      });
    },

    async revoke(context: RequestContext, tenantId: string, keyId: string): Promise<void> {
      if (!(await authenticator.revoke(tenantId, keyId)))
        throw new KryonixError('KRX_NOT_FOUND', `API key ${keyId} not found`);
      await db.withTenant(tenantId, (tx) =>
        audit(tx, context, { action: 'api_key.revoke', resourceType: 'api_key', resourceId: keyId }),
      );
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
