import { defineAction } from '../../sdk.js';
import { MAILBOX_INPUT, mailboxOf, UID_VALIDITY_INPUT, withMailbox } from './imap.js';

interface Input {
  mailbox?: string;
  uids: number[];
  uidValidity?: string;
  seen?: boolean;
}

export const markSeenAction = defineAction<Input>({
  name: 'markSeen',
  description: 'Mark messages read (or unread) over IMAP by UID: sets or clears the \\Seen flag',
  classification: 'write',
  // Setting a flag twice leaves it set: safe to retry.
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      mailbox: MAILBOX_INPUT,
      uids: {
        type: 'array',
        items: { type: 'integer', minimum: 1, maximum: 4_294_967_295 },
        minItems: 1,
        maxItems: 1000,
        uniqueItems: true,
        description: 'Message UIDs',
      },
      uidValidity: UID_VALIDITY_INPUT,
      seen: { type: 'boolean', default: true, description: 'true marks read, false marks unread' },
    },
    required: ['uids'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      mailbox: { type: 'string', description: 'Mailbox changed' },
      seen: { type: 'boolean', description: 'The state the messages were put in' },
      messages: {
        type: 'array',
        description: 'The messages found, with their flags after the change',
        items: {
          type: 'object',
          properties: {
            uid: { type: 'integer', description: 'Message UID' },
            flags: { type: 'array', items: { type: 'string' }, description: 'IMAP flags now' },
          },
        },
      },
      missing: { type: 'array', items: { type: 'integer' }, description: 'UIDs no message has' },
    },
  },
  async run(context, input) {
    const mailbox = mailboxOf(context, input.mailbox);
    const seen = input.seen ?? true;
    const range = input.uids.join(',');
    return withMailbox(context, mailbox, { write: true, uidValidity: input.uidValidity }, async (client) => {
      if (seen) await client.messageFlagsAdd(range, ['\\Seen'], { uid: true });
      else await client.messageFlagsRemove(range, ['\\Seen'], { uid: true });
      const after = await client.fetchAll(range, { uid: true, flags: true }, { uid: true });
      const found = new Set(after.map((m) => m.uid));
      return {
        mailbox,
        seen,
        messages: after
          .sort((a, b) => a.uid - b.uid)
          .map((m) => ({ uid: m.uid, flags: [...(m.flags ?? [])] })),
        missing: input.uids.filter((uid) => !found.has(uid)),
      };
    });
  },
});
