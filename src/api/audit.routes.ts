import type { FastifyInstance } from 'fastify';
import { type AuditRow, listAudit } from '../platform/audit.js';
import type { Database } from '../platform/db/client.js';
import { tenantOf } from '../platform/http/authenticate.js';
import { toPage } from '../platform/pagination.js';
import { errorResponses, freeObject, pageOf, pageQuery, uuid } from './schemas.js';

const entryView = {
  type: 'object',
  properties: {
    id: uuid,
    actor: { type: 'string' },
    action: { type: 'string' },
    resourceType: { type: 'string' },
    resourceId: { type: ['string', 'null'] },
    sourceIp: { type: ['string', 'null'] },
    requestId: { type: ['string', 'null'] },
    details: { ...freeObject, type: ['object', 'null'] },
    createdAt: { type: 'string' },
  },
} as const;

function toView({ cursorAt: _position, ...row }: AuditRow) {
  return { ...row, createdAt: row.createdAt.toISOString() };
}

interface AuditQuerystring {
  limit: number;
  cursor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  from?: string;
  to?: string;
}

export async function auditRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  app.get<{ Querystring: AuditQuerystring }>(
    '/audit-log',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit log, newest first",
        querystring: {
          type: 'object',
          properties: {
            ...pageQuery,
            action: { type: 'string', maxLength: 100 },
            resourceType: { type: 'string', maxLength: 100 },
            resourceId: { type: 'string', maxLength: 255 },
            from: { type: 'string', format: 'date-time' },
            to: { type: 'string', format: 'date-time' },
          },
          additionalProperties: false,
        },
        response: { 200: pageOf(entryView), ...errorResponses },
      },
    },
    async (request) => {
      const { limit, cursor, from, to, ...filters } = request.query;
      const rows = await db.withTenant(tenantOf(request), (tx) =>
        listAudit(tx, {
          ...filters,
          limit: limit + 1,
          cursor,
          from: from ? new Date(from) : undefined,
          to: to ? new Date(to) : undefined,
        }),
      );
      return toPage(rows, limit, toView);
    },
  );
}
