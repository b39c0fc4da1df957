import { defineAction } from '../../sdk.js';
import { FIELD_VALUES, SOBJECT_NAME } from './api.js';
import { salesforceConnection } from './connection.js';

export const createRecord = defineAction<{ sobject: string; fields: Record<string, unknown> }>({
  name: 'createRecord',
  description: 'Create a record of an sObject type',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: { sobject: SOBJECT_NAME, fields: FIELD_VALUES },
    required: ['sobject', 'fields'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Id of the new record' },
      success: { type: 'boolean', description: 'Salesforce created it' },
      errors: { type: 'array', description: 'Warnings Salesforce returned' },
    },
  },
  async run(context, input) {
    const connection = await salesforceConnection(context);
    return connection.create(input.sobject, input.fields);
  },
});
