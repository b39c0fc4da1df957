import { defineAction } from '../../sdk.js';
import { gmailCall, mailbox } from './api.js';

export const getMessage = defineAction<{ id: string; format?: string; metadataHeaders?: string[] }>({
  name: 'getMessage',
  description: 'Read one message (full, metadata, minimal or raw)',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$', description: 'Message id' },
      format: {
        enum: ['full', 'metadata', 'minimal', 'raw'],
        default: 'full',
        description: 'How much to read',
      },
      metadataHeaders: {
        type: 'array',
        items: { type: 'string' },
        maxItems: 50,
        description: 'Headers read with format metadata',
      },
    },
    required: ['id'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The Gmail message resource' },
  async run(context, input) {
    const response = await gmailCall(context, (gmail, options) =>
      gmail.users.messages.get(
        {
          userId: mailbox(context),
          id: input.id,
          format: input.format ?? 'full',
          metadataHeaders: input.metadataHeaders,
        },
        options,
      ),
    );
    return response.data;
  },
});
