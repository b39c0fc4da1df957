import type { FastifyInstance } from 'fastify';
import { type AuditQuery, type AuditRow, listAudit } from '../platform/audit.js';
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

const querystring = {
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
} as const;

function queryOf({ limit, cursor, from, to, ...filters }: AuditQuerystring): AuditQuery {
  return {
    ...filters,
    limit: limit + 1,
    cursor,
    from: from ? new Date(from) : undefined,
    to: to ? new Date(to) : undefined,
  };
}

export async function auditRoutes(app: FastifyInstance, { db }: { db: Database }): Promise<void> {
  app.get<{ Querystring: AuditQuerystring }>(
    '/audit-log',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['audit'],
        summary: "The tenant's audit log, newest first",
        querystring,
        response: { 200: pageOf(entryView), ...errorResponses },
      },
    },
    async (request) => {
      const rows = await db.withTenant(tenantOf(request), (tx) => listAudit(tx, queryOf(request.query)));
      return toPage(rows, request.query.limit, toView);
    },
  );

  app.get<{ Querystring: AuditQuerystring }>(
    '/platform/audit-log',
    {
      config: { access: 'owner' },
      schema: {
        tags: ['audit'],
        summary:
          'The platform audit log (entries of no tenant: platform-owner keys, master-key rotations), newest first',
        querystring,
        response: { 200: pageOf(entryView), ...errorResponses },
      },
    },
    async (request) => {
      const rows = await db.withPlatform((tx) => listAudit(tx, queryOf(request.query), 'platform'));
      return toPage(rows, request.query.limit, toView);
    },
  );
}
