import { defineAction } from '../../sdk.js';
import { RECORD_ID, SOBJECT_NAME } from './api.js';
import { salesforceConnection } from './connection.js';

export const getRecord = defineAction<{ sobject: string; id: string; fields?: string[] }>({
  name: 'getRecord',
  description: 'Read one record by id, optionally only some fields',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      sobject: SOBJECT_NAME,
      id: RECORD_ID,
      fields: {
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z][A-Za-z0-9_.]{0,120}$' },
        maxItems: 500,
        description: 'Fields to read (default: all)',
      },
    },
    required: ['sobject', 'id'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The record, with its `attributes` (type, url)' },
  async run(context, input) {
    const connection = await salesforceConnection(context);
    return connection.retrieve(input.sobject, input.id, input.fields ? { fields: input.fields } : {});
  },
});
