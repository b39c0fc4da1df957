import { defineAction } from '../../sdk.js';
import { ENTITY_SET, entityPath, KEY, type KeyInput, odata, unwrapEntity, versionOf } from './api.js';

export const getEntity = defineAction<{
  entitySet: string;
  key: KeyInput;
  select?: string[];
  expand?: string[];
}>({
  name: 'getEntity',
  description: 'Read one entity by key',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      entitySet: ENTITY_SET,
      key: KEY,
      select: { type: 'array', items: { type: 'string' }, maxItems: 200, description: '$select' },
      expand: { type: 'array', items: { type: 'string' }, maxItems: 50, description: '$expand' },
    },
    required: ['entitySet', 'key'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The entity (v2: the content of `d`)' },
  async run(context, input) {
    const response = await odata(context, {
      method: 'GET',
      path: entityPath(input.entitySet, input.key),
      query: { $select: input.select?.join(','), $expand: input.expand?.join(',') },
    });
    return unwrapEntity(versionOf(context), response.data);
  },
});
