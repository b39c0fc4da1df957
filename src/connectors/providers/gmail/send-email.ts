import { defineAction, type JsonSchema } from '../../sdk.js';
import { GMAIL, gmailCall, mailbox } from './api.js';
import { buildMessage, type MailInput } from './mime.js';

const line: JsonSchema = { type: 'string', maxLength: 2000, pattern: '^[^\\r\\n]*$' };
const addresses: JsonSchema = {
  oneOf: [line, { type: 'array', items: line, minItems: 1, maxItems: 500 }],
};

export const sendEmail = defineAction<MailInput & { threadId?: string }>({
  name: 'sendEmail',
  description: `Send an email through ${GMAIL} (an RFC 2822 message built from the input, sent as base64url raw)`,
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      to: { ...addresses, description: 'Recipients' },
      cc: { ...addresses, description: 'Copy recipients' },
      bcc: { ...addresses, description: 'Blind copy recipients' },
      from: { ...line, description: 'Sender (default: the account; an alias must be set up in Gmail)' },
      replyTo: { ...line, description: 'Reply-To address' },
      subject: { ...line, description: 'Subject (any Unicode)' },
      text: { type: 'string', maxLength: 5_000_000, description: 'Plain-text body' },
      html: { type: 'string', maxLength: 5_000_000, description: 'HTML body' },
      inReplyTo: { ...line, description: 'Message-ID this replies to' },
      references: { ...line, description: 'References header of a reply' },
      threadId: { type: 'string', maxLength: 100, description: 'Thread to add the message to' },
      attachments: {
        type: 'array',
        maxItems: 50,
        description: 'Files attached',
        items: {
          type: 'object',
          properties: {
            filename: { ...line, minLength: 1, maxLength: 255, description: 'File name' },
            contentType: { type: 'string', pattern: '^[\\w.+-]+/[\\w.+-]+$', description: 'MIME type' },
            contentBase64: { type: 'string', maxLength: 30_000_000, description: 'Content, base64' },
          },
          required: ['filename', 'contentBase64'],
          additionalProperties: false,
        },
      },
    },
    anyOf: [{ required: ['to'] }, { required: ['cc'] }, { required: ['bcc'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      id: { type: 'string', description: 'Gmail message id' },
      threadId: { type: 'string', description: 'Thread id' },
      labelIds: { type: 'array', items: { type: 'string' }, description: 'Labels (SENT)' },
    },
  },
  async run(context, input) {
    const raw = Buffer.from(buildMessage(input), 'utf8').toString('base64url');
    const response = await gmailCall(context, (gmail, options) =>
      gmail.users.messages.send(
        {
          userId: mailbox(context),
          requestBody: { raw, ...(input.threadId ? { threadId: input.threadId } : {}) },
        },
        options,
      ),
    );
    return response.data;
  },
});
