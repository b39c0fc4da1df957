import { defineAction } from '../../sdk.js';
import { connectorFailure, webhookUrl } from './api.js';

interface Input {
  text?: string;
  summary?: string;
  title?: string;
  themeColor?: string;
  sections?: unknown[];
}

export const sendConnectorMessage = defineAction<Input>({
  name: 'sendConnectorMessage',
  description: 'Post a MessageCard to a legacy Office 365 connector webhook (retiring; prefer Workflows)',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      text: { type: 'string', maxLength: 20000, description: 'Card text (Markdown)' },
      summary: { type: 'string', maxLength: 1000, description: 'Summary (shown in notifications)' },
      title: { type: 'string', maxLength: 1000, description: 'Card title' },
      themeColor: { type: 'string', pattern: '^[0-9A-Fa-f]{6}$', description: 'Accent colour, hex' },
      sections: {
        type: 'array',
        items: { type: 'object' },
        maxItems: 10,
        description: 'MessageCard sections',
      },
    },
    anyOf: [{ required: ['text'] }, { required: ['summary'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { accepted: { type: 'boolean', description: 'The connector answered 1' } },
  },
  async run(context, input) {
    const response = await context.http<string>({
      method: 'POST',
      url: webhookUrl(context, 'connectorUrl'),
      auth: false,
      body: { '@type': 'MessageCard', '@context': 'http://schema.org/extensions', ...input },
      responseType: 'text',
    });
    if (response.data.trim() !== '1') throw connectorFailure(response.status, response.data);
    return { accepted: true };
  },
});
