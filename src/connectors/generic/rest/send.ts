import { defineAction } from '../../sdk.js';
import {
  headersField,
  pathField,
  queryField,
  type RestInput,
  responseSchema,
  visibleHeaders,
} from './shared.js';

export const sendAction = defineAction<RestInput & { method: string }>({
  name: 'send',
  description: 'Send a body with POST, PUT or PATCH',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      method: { enum: ['POST', 'PUT', 'PATCH'], default: 'POST', description: 'HTTP method' },
      path: pathField,
      query: queryField,
      headers: headersField,
      body: { description: 'JSON body (a string is sent as is)' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  output: responseSchema,
  async run(context, input) {
    const response = await context.http({
      method: input.method ?? 'POST',
      url: input.path,
      query: input.query,
      headers: input.headers,
      body: input.body,
    });
    return { status: response.status, headers: visibleHeaders(response.headers), data: response.data };
  },
});
