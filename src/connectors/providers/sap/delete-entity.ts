import { defineAction } from '../../sdk.js';
import { ENTITY_SET, entityPath, KEY, type KeyInput, odata } from './api.js';

export const deleteEntity = defineAction<{ entitySet: string; key: KeyInput; etag?: string }>({
  name: 'deleteEntity',
  description: 'Delete an entity by key',
  classification: 'destructive',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      entitySet: ENTITY_SET,
      key: KEY,
      etag: { type: 'string', maxLength: 500, description: 'If-Match value (the ETag read before), or *' },
    },
    required: ['entitySet', 'key'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { deleted: { type: 'boolean', description: 'The service deleted it' } },
  },
  async run(context, input) {
    await odata(context, {
      method: 'DELETE',
      path: entityPath(input.entitySet, input.key),
      headers: input.etag ? { 'if-match': input.etag } : undefined,
    });
    return { deleted: true };
  },
});
