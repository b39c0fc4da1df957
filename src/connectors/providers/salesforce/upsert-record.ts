import { defineAction } from '../../sdk.js';
import { FIELD_VALUES, SOBJECT_NAME } from './api.js';
import { salesforceConnection } from './connection.js';

interface Input {
  sobject: string;
  externalIdField: string;
  externalId: string;
  fields: Record<string, unknown>;
}

export const upsertRecord = defineAction<Input>({
  name: 'upsertRecord',
  description: 'Create or update the record whose external id field has the given value',
  classification: 'write',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      sobject: SOBJECT_NAME,
      externalIdField: { ...SOBJECT_NAME, description: 'API name of the external id field' },
      externalId: { type: 'string', minLength: 1, maxLength: 255, description: 'Its value' },
      fields: FIELD_VALUES,
    },
    required: ['sobject', 'externalIdField', 'externalId', 'fields'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Id of the record' },
      created: { type: 'boolean', description: 'A new record was created (else one was updated)' },
    },
  },
  async run(context, input) {
    const connection = await salesforceConnection(context);
    // jsforce puts the value into the URL path as it is: encoded here, so `ERP/42` stays one segment
    const result = (await connection.upsert(
      input.sobject,
      { ...input.fields, [input.externalIdField]: encodeURIComponent(input.externalId) },
      input.externalIdField,
    )) as { id?: string; created?: boolean };
    // Salesforce says `created` (201 Created) or answers 200 / 204 for an update
    return { ...(result.id ? { id: result.id } : {}), created: result.created === true };
  },
});
