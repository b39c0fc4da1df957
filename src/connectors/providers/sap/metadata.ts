import { defineAction } from '../../sdk.js';
import { odata } from './api.js';

export const metadata = defineAction<Record<string, never>>({
  name: 'metadata',
  description: "Read the service's $metadata document (EDMX XML)",
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: {}, additionalProperties: false },
  output: {
    type: 'object',
    properties: { edmx: { type: 'string', description: 'The EDMX document' } },
  },
  async run(context) {
    const response = await odata<string>(context, {
      method: 'GET',
      path: '$metadata',
      headers: { accept: 'application/xml' },
      responseType: 'text',
    });
    return { edmx: response.data };
  },
});
