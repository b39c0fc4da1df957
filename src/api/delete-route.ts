/** The admin API's "delete by id" route, which every resource has in the same shape. */
import type { FastifyInstance } from 'fastify';
import type { RequestContext } from '../platform/audit.js';
import { type Access, tenantOf } from '../platform/http/authenticate.js';
import { errorResponses, idParams } from './schemas.js';

/**
 * `DELETE path` (ending in `:id`) answering 204 once `remove` has deleted the caller's tenant's
 * resource; `remove` throws the 404 (or 409) itself. `params` when the id is not a UUID.
 */
export function deleteByIdRoute(
  app: FastifyInstance,
  path: string,
  doc: { tags: string[]; summary: string; access?: Access; conflict?: true; params?: object },
  remove: (context: RequestContext, tenantId: string, id: string) => Promise<unknown>,
): void {
  app.delete<{ Params: { id: string } }>(
    path,
    {
      ...(doc.access ? { config: { access: doc.access } } : {}),
      schema: {
        tags: doc.tags,
        summary: doc.summary,
        params: doc.params ?? idParams,
        response: {
          204: { type: 'null' },
          ...errorResponses,
          ...(doc.conflict ? { 409: { $ref: 'Problem#' } } : {}),
        },
      },
    },
    async (request, reply) => {
      await remove(request.context, tenantOf(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
