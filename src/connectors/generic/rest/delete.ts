import { defineAction } from '../../sdk.js';
import {
  headersField,
  pathField,
  queryField,
  type RestInput,
  responseSchema,
  visibleHeaders,
} from './shared.js';

export const deleteAction = defineAction<RestInput>({
  name: 'delete',
  description: 'DELETE a resource',
  classification: 'destructive',
  idempotent: true,
  input: {
    type: 'object',
    properties: { path: pathField, query: queryField, headers: headersField },
    required: ['path'],
    additionalProperties: false,
  },
  output: responseSchema,
  async run(context, input) {
    const response = await context.http({
      method: 'DELETE',
      url: input.path,
      query: input.query,
      headers: input.headers,
    });
    return { status: response.status, headers: visibleHeaders(response.headers), data: response.data };
  },
});
