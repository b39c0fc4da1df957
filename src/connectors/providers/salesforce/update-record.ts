import { defineAction } from '../../sdk.js';
import { FIELD_VALUES, RECORD_ID, SOBJECT_NAME, sfCall } from './api.js';

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
    await sfCall(context, {
      method: 'PATCH',
      path: `sobjects/${input.sobject}/${input.id}`,
      body: input.fields,
    });
    return { id: input.id, updated: true };
  },
});
