import { defineAction } from '../../sdk.js';
import { RECORD_ID, SOBJECT_NAME } from './api.js';
import { salesforceConnection } from './connection.js';

export const deleteRecord = defineAction<{ sobject: string; id: string }>({
  name: 'deleteRecord',
  description: 'Delete a record (it goes to the recycle bin)',
  classification: 'destructive',
  idempotent: true,
  input: {
    type: 'object',
    properties: { sobject: SOBJECT_NAME, id: RECORD_ID },
    required: ['sobject', 'id'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Id of the record' },
      deleted: { type: 'boolean', description: 'Salesforce deleted it' },
    },
  },
  async run(context, input) {
    await (await salesforceConnection(context)).destroy(input.sobject, input.id);
    return { id: input.id, deleted: true };
  },
});
