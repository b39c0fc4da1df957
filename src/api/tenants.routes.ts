import type { FastifyInstance } from 'fastify';
import { TENANT_SLUG_PATTERN, type TenantService, type TenantSettings } from '../platform/tenancy.js';
import { createdKey, type NewKeyBody, newKeyBody } from './api-keys.routes.js';
import { errorResponses, idParams, pageOf, pageQuery, uuid } from './schemas.js';

const settings = {
  type: 'object',
  properties: {
    allowedNetworks: {
      type: 'array',
      maxItems: 100,
      items: { type: 'string', maxLength: 64 },
      description: "CIDRs this tenant's outbound calls may reach despite the SSRF guard",
    },
  },
  additionalProperties: false,
} as const;

const tenantView = {
  type: 'object',
  properties: {
    id: uuid,
    name: { type: 'string' },
    slug: { type: 'string' },
    status: { type: 'string' },
    settings,
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
  },
} as const;

export async function tenantRoutes(
  app: FastifyInstance,
  { tenants }: { tenants: TenantService },
): Promise<void> {
  const tags = ['tenants (platform owner)'];
  const config = { access: 'owner' as const };

  app.get<{ Querystring: { limit: number; cursor?: string } }>(
    '/tenants',
    {
      config,
      schema: {
        tags,
        summary: 'List tenants, newest first',
        querystring: { type: 'object', properties: pageQuery, additionalProperties: false },
        response: { 200: pageOf(tenantView), ...errorResponses },
      },
    },
    (request) => tenants.page(request.query),
  );

  app.post<{ Body: { name: string; slug: string; settings?: TenantSettings } }>(
    '/tenants',
    {
      config,
      schema: {
        tags,
        summary: 'Create a tenant',
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 255 },
            slug: {
              type: 'string',
              pattern: TENANT_SLUG_PATTERN,
              description: 'Lowercase letters, digits and dashes',
            },
            settings,
          },
          required: ['name', 'slug'],
          additionalProperties: false,
        },
        response: { 201: tenantView, ...errorResponses, 409: { $ref: 'Problem#' } },
      },
    },
    async (request, reply) => reply.code(201).send(await tenants.create(request.context, request.body)),
  );

  app.get<{ Params: { id: string } }>(
    '/tenants/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Get a tenant',
        params: idParams,
        response: { 200: tenantView, ...errorResponses },
      },
    },
    (request) => tenants.get(request.params.id),
  );

  app.patch<{
    Params: { id: string };
    Body: { name?: string; status?: 'active' | 'suspended'; settings?: TenantSettings };
  }>(
    '/tenants/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Update or suspend a tenant',
        params: idParams,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 255 },
            status: { enum: ['active', 'suspended'] },
            settings,
          },
          minProperties: 1,
          additionalProperties: false,
        },
        response: { 200: tenantView, ...errorResponses },
      },
    },
    (request) => tenants.update(request.context, request.params.id, request.body),
  );

  app.post<{ Params: { id: string }; Body: NewKeyBody }>(
    '/tenants/:id/api-keys',
    {
      config,
      schema: {
        tags,
        summary: 'Create a key for a tenant (e.g. its first admin)',
        params: idParams,
        body: newKeyBody,
        response: { 201: createdKey, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { key, view } = await tenants.createKey(request.context, request.params.id, {
        name: request.body.name,
        role: request.body.role,
        expiresAt: request.body.expiresAt ? new Date(request.body.expiresAt) : null,
      });
      return reply.code(201).send({ key, apiKey: view });
    },
  );
}
