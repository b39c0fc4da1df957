import { type AddressObject, simpleParser } from 'mailparser';
import { KryonixError } from '../../../platform/errors.js';
import { defineAction } from '../../sdk.js';
import {
  ADDRESS_LIST,
  addresses,
  isoDate,
  MAILBOX_INPUT,
  mailboxOf,
  UID_VALIDITY_INPUT,
  withMailbox,
} from './imap.js';

interface Input {
  mailbox?: string;
  uid: number;
  uidValidity?: string;
  includeAttachments?: boolean;
  maxAttachmentBytes?: number;
}

/** Larger messages are refused rather than held in memory whole. */
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

function addressesOf(field: AddressObject | AddressObject[] | undefined) {
  return addresses((Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value));
}

export const getMessageAction = defineAction<Input>({
  name: 'getMessage',
  description:
    'Fetch one message by UID over IMAP (without marking it seen): headers, text, HTML, attachments',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      mailbox: MAILBOX_INPUT,
      uid: { type: 'integer', minimum: 1, maximum: 4_294_967_295, description: 'Message UID' },
      uidValidity: UID_VALIDITY_INPUT,
      includeAttachments: {
        type: 'boolean',
        default: false,
        description: 'Return attachment content (base64) within maxAttachmentBytes',
      },
      maxAttachmentBytes: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_ATTACHMENT_BYTES,
        default: 1024 * 1024,
        description: 'Budget of attachment bytes returned; attachments past it come without content',
      },
    },
    required: ['uid'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      uid: { type: 'integer', description: 'Message UID' },
      messageId: { type: 'string', description: 'Message-ID header' },
      from: { ...ADDRESS_LIST, description: 'Senders' },
      to: { ...ADDRESS_LIST, description: 'Recipients' },
      cc: { ...ADDRESS_LIST, description: 'Copy recipients' },
      replyTo: { ...ADDRESS_LIST, description: 'Reply-To addresses' },
      subject: { type: 'string', description: 'Subject' },
      date: { type: 'string', description: 'Date header (ISO 8601)' },
      flags: { type: 'array', items: { type: 'string' }, description: 'IMAP flags' },
      size: { type: 'integer', description: 'Size in bytes' },
      headers: {
        type: 'array',
        description: 'Every header line in order, unfolded',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Header name' },
            value: { type: 'string', description: 'Raw header value' },
          },
        },
      },
      text: { type: 'string', description: 'Plain-text body' },
      html: { type: 'string', description: 'HTML body (cid: links kept)' },
      attachments: {
        type: 'array',
        description: 'Attachments: metadata, and content when asked for and within the budget',
        items: {
          type: 'object',
          properties: {
            filename: { type: 'string', description: 'File name' },
            contentType: { type: 'string', description: 'MIME type' },
            size: { type: 'integer', description: 'Decoded size in bytes' },
            contentId: { type: 'string', description: 'Content-ID (inline parts)' },
            disposition: { type: 'string', description: 'attachment or inline' },
            checksum: { type: 'string', description: 'MD5 of the content' },
            contentBase64: { type: 'string', description: 'Content, base64' },
            contentOmitted: { type: 'boolean', description: 'The content was past maxAttachmentBytes' },
          },
        },
      },
    },
  },
  async run(context, input) {
    const mailbox = mailboxOf(context, input.mailbox);
    return withMailbox(context, mailbox, { uidValidity: input.uidValidity }, async (client) => {
      const uid = String(input.uid);
      const meta = await client.fetchOne(uid, { uid: true, size: true, flags: true }, { uid: true });
      if (!meta)
        throw new KryonixError('KRX_NOT_FOUND', `no message with UID ${input.uid} in mailbox "${mailbox}"`);
      if ((meta.size ?? 0) > MAX_MESSAGE_BYTES)
        throw new KryonixError(
          'KRX_LIMIT_EXCEEDED',
          `message ${input.uid} is ${meta.size} bytes; getMessage reads at most ${MAX_MESSAGE_BYTES}`,
        );
      // BODY.PEEK[]: fetching the source leaves \Seen alone (the mailbox is read-only besides).
      const full = await client.fetchOne(uid, { uid: true, source: true }, { uid: true });
      if (full === false || !full.source)
        throw new KryonixError('KRX_NOT_FOUND', `no message with UID ${input.uid} in mailbox "${mailbox}"`);
      const parsed = await simpleParser(full.source, { keepCidLinks: true, skipTextToHtml: true });
      let budget = input.includeAttachments ? (input.maxAttachmentBytes ?? 1024 * 1024) : 0;
      const attachments = parsed.attachments.map((a) => {
        const fits = input.includeAttachments === true && a.size <= budget;
        if (fits) budget -= a.size;
        return {
          filename: a.filename,
          contentType: a.contentType,
          size: a.size,
          contentId: a.contentId,
          disposition: a.contentDisposition,
          checksum: a.checksum,
          ...(fits ? { contentBase64: a.content.toString('base64') } : {}),
          ...(input.includeAttachments && !fits ? { contentOmitted: true } : {}),
        };
      });
      return {
        uid: input.uid,
        messageId: parsed.messageId,
        from: addressesOf(parsed.from),
        to: addressesOf(parsed.to),
        cc: addressesOf(parsed.cc),
        replyTo: addressesOf(parsed.replyTo),
        subject: parsed.subject ?? '',
        date: isoDate(parsed.date),
        flags: [...(meta.flags ?? [])],
        size: meta.size ?? full.source.length,
        headers: parsed.headerLines.map(({ line }) => {
          const colon = line.indexOf(':');
          return {
            name: line.slice(0, colon),
            value: line
              .slice(colon + 1)
              .replace(/\r?\n[ \t]+/g, ' ')
              .trim(),
          };
        }),
        text: parsed.text,
        ...(typeof parsed.html === 'string' ? { html: parsed.html } : {}),
        attachments,
      };
    });
  },
});
