import { defineAction } from '../../sdk.js';
import { FIELD_VALUES, SOBJECT_NAME, sfCall } from './api.js';

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
    const response = await sfCall<{ id?: string; created?: boolean }>(context, {
      method: 'PATCH',
      path: `sobjects/${input.sobject}/${input.externalIdField}/${encodeURIComponent(input.externalId)}`,
      body: input.fields,
    });
    return {
      ...(response.data?.id ? { id: response.data.id } : {}),
      created: response.status === 201,
    };
  },
});
