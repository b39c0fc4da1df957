/**
 * RFC 2822 / MIME messages built from JSON for Gmail's `raw`: CRLF line ends, RFC 2047 encoded
 * non-ASCII headers, multipart/alternative for text + HTML, multipart/mixed for attachments, base64
 * bodies wrapped at 76 characters. Header values never contain CR or LF (no header injection).
 */
import { randomBytes } from 'node:crypto';
import { KryonixError } from '../../../platform/errors.js';

export interface Attachment {
  filename: string;
  contentType?: string;
  contentBase64: string;
}

export interface MailInput {
  from?: string;
  to?: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  replyTo?: string;
  subject?: string;
  text?: string;
  html?: string;
  inReplyTo?: string;
  references?: string;
  attachments?: Attachment[];
}

const list = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value.join(', ') : value;

function headerValue(name: string, value: string): string {
  if (/[\r\n]/.test(value))
    throw new KryonixError('KRX_VALIDATION_FAILED', `the ${name} header may not contain line breaks`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII check
  return /^[\x00-\x7f]*$/.test(value)
    ? value
    : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

const wrap = (base64: string) => base64.replace(/.{1,76}/g, '$&\r\n').trimEnd();

function part(contentType: string, body: Buffer, extra: string[] = []): string {
  return [
    `Content-Type: ${contentType}`,
    'Content-Transfer-Encoding: base64',
    ...extra,
    '',
    wrap(body.toString('base64')),
  ].join('\r\n');
}

function multipart(subtype: string, parts: string[]): string {
  const boundary = `krx_${randomBytes(12).toString('hex')}`;
  return [
    `Content-Type: multipart/${subtype}; boundary="${boundary}"`,
    '',
    ...parts.map((p) => `--${boundary}\r\n${p}`),
    `--${boundary}--`,
  ].join('\r\n');
}

export function buildMessage(input: MailInput): string {
  const headers: string[] = ['MIME-Version: 1.0'];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined && value !== '') headers.push(`${name}: ${headerValue(name, value)}`);
  };
  add('From', input.from);
  add('To', list(input.to));
  add('Cc', list(input.cc));
  add('Bcc', list(input.bcc));
  add('Reply-To', input.replyTo);
  add('Subject', input.subject);
  add('In-Reply-To', input.inReplyTo);
  add('References', input.references);
  const bodies: string[] = [];
  if (input.text !== undefined)
    bodies.push(part('text/plain; charset=UTF-8', Buffer.from(input.text, 'utf8')));
  if (input.html !== undefined)
    bodies.push(part('text/html; charset=UTF-8', Buffer.from(input.html, 'utf8')));
  if (bodies.length === 0) bodies.push(part('text/plain; charset=UTF-8', Buffer.alloc(0)));
  let body = bodies.length > 1 ? multipart('alternative', bodies) : bodies[0];
  if (input.attachments?.length) {
    const files = input.attachments.map((file) => {
      const name = headerValue('filename', file.filename).replace(/"/g, '');
      return part(
        `${file.contentType ?? 'application/octet-stream'}; name="${name}"`,
        Buffer.from(file.contentBase64, 'base64'),
        [`Content-Disposition: attachment; filename="${name}"`],
      );
    });
    body = multipart('mixed', [body, ...files]);
  }
  return `${headers.join('\r\n')}\r\n${body}\r\n`;
}
