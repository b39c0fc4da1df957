import { defineAction } from '../../sdk.js';
import { ENTITY_SET, entityPath, KEY, type KeyInput, odata } from './api.js';

interface Input {
  entitySet: string;
  key: KeyInput;
  data: Record<string, unknown>;
  method?: 'PATCH' | 'MERGE' | 'PUT';
  etag?: string;
}

export const updateEntity = defineAction<Input>({
  name: 'updateEntity',
  description: 'Change an entity (PATCH by default; MERGE for old v2 services, PUT to replace it)',
  classification: 'write',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      entitySet: ENTITY_SET,
      key: KEY,
      data: { type: 'object', minProperties: 1, description: 'Properties to set' },
      method: { enum: ['PATCH', 'MERGE', 'PUT'], default: 'PATCH', description: 'HTTP method' },
      etag: { type: 'string', maxLength: 500, description: 'If-Match value (the ETag read before), or *' },
    },
    required: ['entitySet', 'key', 'data'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { updated: { type: 'boolean', description: 'The service accepted the change' } },
  },
  async run(context, input) {
    await odata(context, {
      method: input.method ?? 'PATCH',
      path: entityPath(input.entitySet, input.key),
      body: input.data,
      headers: input.etag ? { 'if-match': input.etag } : undefined,
    });
    return { updated: true };
  },
});
