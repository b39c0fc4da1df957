/** A tenant admin's management of the tenant's own API keys. */

import { getTableColumns } from 'drizzle-orm';
import { audit, type RequestContext } from '../audit.js';
import type { Database } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import { KryonixError } from '../errors.js';
import { keyset, type Page, toPage } from '../pagination.js';
import { type ApiKeyAuthenticator, type ApiKeyView, insertApiKey, toApiKeyView } from './api-keys.js';
import type { TenantRole } from './principal.js';

export function createKeyService(db: Database, authenticator: ApiKeyAuthenticator) {
  return {
    /** The tenant's keys newest first, a page at a time. */
    async list(tenantId: string, query: { limit: number; cursor?: string }): Promise<Page<ApiKeyView>> {
      const page = keyset(apiKeys.createdAt, apiKeys.id, query.cursor);
      const rows = await db.withTenant(tenantId, (tx) =>
        tx
          .select({ ...getTableColumns(apiKeys), cursorAt: page.at })
          .from(apiKeys)
          .where(page.where)
          .orderBy(...page.orderBy)
          .limit(query.limit + 1),
      );
      return toPage(rows, query.limit, toApiKeyView);
    },

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
