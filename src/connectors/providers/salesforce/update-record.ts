import { defineAction } from '../../sdk.js';
import { FIELD_VALUES, RECORD_ID, SOBJECT_NAME } from './api.js';
import { salesforceConnection } from './connection.js';

export const updateRecord = defineAction<{ sobject: string; id: string; fields: Record<string, unknown> }>({
  name: 'updateRecord',
  description: 'Set fields of a record (PATCH: fields not given stay as they are)',
  classification: 'write',
  idempotent: true,
  input: {
    type: 'object',
    properties: { sobject: SOBJECT_NAME, id: RECORD_ID, fields: FIELD_VALUES },
    required: ['sobject', 'id', 'fields'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Id of the record' },
      updated: { type: 'boolean', description: 'Salesforce applied the change' },
    },
  },
  async run(context, input) {
    const connection = await salesforceConnection(context);
    await connection.update(input.sobject, { ...input.fields, Id: input.id });
    return { id: input.id, updated: true };
  },
});
