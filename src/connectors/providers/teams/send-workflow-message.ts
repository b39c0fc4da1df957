import { defineAction } from '../../sdk.js';
import { webhookUrl } from './api.js';

interface Input {
  text?: string;
  card?: Record<string, unknown>;
}

export const sendWorkflowMessage = defineAction<Input>({
  name: 'sendWorkflowMessage',
  description: 'Post an Adaptive Card (or a text, wrapped in one) to a Teams Workflows webhook',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      text: { type: 'string', maxLength: 20000, description: 'Text, sent as a one-block Adaptive Card' },
      card: {
        type: 'object',
        properties: { type: { const: 'AdaptiveCard' } },
        required: ['type', 'body'],
        description: 'An Adaptive Card ({ type: "AdaptiveCard", version, body: [...] })',
      },
    },
    oneOf: [{ required: ['text'] }, { required: ['card'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { accepted: { type: 'boolean', description: 'The workflow accepted the message' } },
  },
  async run(context, input) {
    const card = input.card ?? {
      type: 'AdaptiveCard',
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      version: '1.4',
      body: [{ type: 'TextBlock', text: input.text, wrap: true }],
    };
    const response = await context.http({
      method: 'POST',
      url: webhookUrl(context, 'workflowUrl'),
      auth: false, // the signed URL is the credential
      body: {
        type: 'message',
        attachments: [
          { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
        ],
      },
      responseType: 'text',
    });
    return { accepted: true, status: response.status };
  },
});
