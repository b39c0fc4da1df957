import { defineAction } from '../../sdk.js';
import { ENTITY_SET, odata, unwrapEntity, versionOf } from './api.js';

export const createEntity = defineAction<{ entitySet: string; data: Record<string, unknown> }>({
  name: 'createEntity',
  description: 'Create an entity (POST, with the CSRF token handshake)',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      entitySet: ENTITY_SET,
      data: { type: 'object', minProperties: 1, description: 'Properties of the new entity' },
    },
    required: ['entitySet', 'data'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The entity as created (v2: the content of `d`)' },
  async run(context, input) {
    const response = await odata(context, { method: 'POST', path: input.entitySet, body: input.data });
    return unwrapEntity(versionOf(context), response.data) ?? {};
  },
});
