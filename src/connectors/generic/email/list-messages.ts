import type { SearchObject } from 'imapflow';
import { defineAction } from '../../sdk.js';
import { ADDRESS_LIST, addresses, isoDate, MAILBOX_INPUT, mailboxOf, withMailbox } from './imap.js';

interface Input {
  mailbox?: string;
  unseen?: boolean;
  flagged?: boolean;
  since?: string;
  before?: string;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  limit?: number;
}

const DATE = { type: 'string', format: 'date' };
const TERM = { type: 'string', minLength: 1, maxLength: 500 };

export const listMessagesAction = defineAction<Input>({
  name: 'listMessages',
  description: 'List messages of a mailbox over IMAP, newest first: search by flags, dates, sender, subject',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      mailbox: MAILBOX_INPUT,
      unseen: { type: 'boolean', description: 'true: only unread messages; false: only read ones' },
      flagged: {
        type: 'boolean',
        description: 'true: only flagged (starred) messages; false: only unflagged',
      },
      since: {
        ...DATE,
        description: 'Received on or after this date (YYYY-MM-DD; IMAP compares whole days)',
      },
      before: { ...DATE, description: 'Received before this date (YYYY-MM-DD)' },
      from: { ...TERM, description: 'From header contains this text' },
      to: { ...TERM, description: 'To header contains this text' },
      subject: { ...TERM, description: 'Subject contains this text' },
      text: { ...TERM, description: 'Headers or body contain this text' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 500,
        default: 50,
        description: 'Most messages returned (the newest matches)',
      },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      mailbox: { type: 'string', description: 'Mailbox read' },
      uidValidity: { type: 'string', description: 'UIDVALIDITY of the mailbox: the UIDs are valid with it' },
      total: { type: 'integer', description: 'Messages matching the search' },
      messages: {
        type: 'array',
        description: 'Envelopes, newest (highest UID) first',
        items: {
          type: 'object',
          properties: {
            uid: { type: 'integer', description: 'Message UID' },
            messageId: { type: 'string', description: 'Message-ID header' },
            from: { ...ADDRESS_LIST, description: 'Senders' },
            to: { ...ADDRESS_LIST, description: 'Recipients' },
            cc: { ...ADDRESS_LIST, description: 'Copy recipients' },
            subject: { type: 'string', description: 'Subject' },
            date: { type: 'string', description: 'Date header (ISO 8601)' },
            receivedAt: { type: 'string', description: 'When the server received it (ISO 8601)' },
            flags: {
              type: 'array',
              items: { type: 'string' },
              description: 'IMAP flags (\\Seen, \\Flagged, …)',
            },
            size: { type: 'integer', description: 'Size in bytes (RFC 822)' },
          },
        },
      },
    },
  },
  async run(context, input) {
    const mailbox = mailboxOf(context, input.mailbox);
    const query: SearchObject = { all: true };
    if (input.unseen !== undefined) query.seen = !input.unseen;
    if (input.flagged !== undefined) query.flagged = input.flagged;
    if (input.since) query.since = input.since;
    if (input.before) query.before = input.before;
    if (input.from) query.from = input.from;
    if (input.to) query.to = input.to;
    if (input.subject) query.subject = input.subject;
    if (input.text) query.text = input.text;
    return withMailbox(context, mailbox, {}, async (client, opened) => {
      const found = (await client.search(query, { uid: true })) || [];
      const newest = [...found].sort((a, b) => b - a).slice(0, input.limit ?? 50);
      const fetched =
        newest.length === 0
          ? []
          : await client.fetchAll(
              newest.join(','),
              { uid: true, envelope: true, flags: true, size: true, internalDate: true },
              { uid: true },
            );
      const messages = fetched
        .sort((a, b) => b.uid - a.uid)
        .map((message) => ({
          uid: message.uid,
          ...(message.envelope?.messageId ? { messageId: message.envelope.messageId } : {}),
          from: addresses(message.envelope?.from),
          to: addresses(message.envelope?.to),
          cc: addresses(message.envelope?.cc),
          subject: message.envelope?.subject ?? '',
          date: isoDate(message.envelope?.date),
          receivedAt: isoDate(message.internalDate),
          flags: [...(message.flags ?? [])],
          size: message.size ?? 0,
        }));
      return { mailbox, uidValidity: String(opened.uidValidity), total: found.length, messages };
    });
  },
});
