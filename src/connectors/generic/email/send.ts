import nodemailer from 'nodemailer';
import { KryonixError } from '../../../platform/errors.js';
import { type ActionContext, defineAction } from '../../sdk.js';

export interface EmailSettings {
  host?: string;
  port?: number;
  secure?: boolean;
  requireTLS?: boolean;
  from?: string;
}

const addresses = {
  oneOf: [
    { type: 'string', minLength: 3, maxLength: 2000 },
    { type: 'array', items: { type: 'string', minLength: 3, maxLength: 320 }, minItems: 1, maxItems: 100 },
  ],
} as const;

/** A transporter bound to the checked address of the SMTP host (SSRF guard), TLS names kept. */
export async function transporterFor(context: ActionContext) {
  const settings = context.connection.config as unknown as EmailSettings;
  const auth = { ...(context.connection.authConfig ?? {}), ...context.credentials } as {
    type?: string;
    username?: string;
    password?: string;
  };
  if (!settings.host)
    throw new KryonixError('KRX_VALIDATION_FAILED', 'this email connection has no SMTP server (config.host)');
  const address = await context.resolveTarget(settings.host);
  const timeout = Math.max(1000, context.deadline - Date.now());
  const transporter = nodemailer.createTransport({
    host: address,
    port: settings.port ?? (settings.secure ? 465 : 587),
    secure: settings.secure ?? false,
    requireTLS: settings.requireTLS ?? false,
    tls: { servername: settings.host },
    name: 'kryonix',
    auth: auth.type === 'basic' ? { user: auth.username ?? '', pass: auth.password ?? '' } : undefined,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return { transporter, settings: { ...settings, host: settings.host } };
}

/** SMTP reply codes → platform errors: 5xx rejections are the caller's, 4xx and network errors are retryable. */
export function smtpError(error: unknown): KryonixError {
  const e = error as { code?: string; responseCode?: number; response?: string; message?: string };
  const extensions = {
    upstreamStatus: e.responseCode,
    upstreamError: e.code,
    upstreamMessage: e.response ?? e.message,
  };
  const detail = `SMTP: ${e.response ?? e.message ?? 'error'}`;
  if (e.code === 'EAUTH') return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', detail, { extensions });
  if (e.code === 'ETIMEDOUT') return new KryonixError('KRX_UPSTREAM_TIMEOUT', detail, { extensions });
  if (e.code === 'ECONNECTION' || e.code === 'ESOCKET' || e.code === 'EDNS') {
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', detail, {
      extensions: { ...extensions, retryable: true },
    });
  }
  if ((e.responseCode ?? 0) >= 400 && (e.responseCode ?? 0) < 500) {
    return new KryonixError('KRX_UPSTREAM_ERROR', detail, { extensions: { ...extensions, retryable: true } });
  }
  return new KryonixError('KRX_UPSTREAM_REJECTED', detail, { extensions });
}

interface SendInput {
  from?: string;
  to: string | string[];
  cc?: string | string[];
  bcc?: string | string[];
  replyTo?: string;
  subject: string;
  text?: string;
  html?: string;
  attachments?: { filename: string; contentBase64: string; contentType?: string }[];
}

export const sendAction = defineAction<SendInput>({
  name: 'send',
  description: 'Send an email over SMTP: text and/or HTML, attachments',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      from: { type: 'string', maxLength: 320, description: "Sender; defaults to the connection's from" },
      to: { ...addresses, description: 'Recipients' },
      cc: { ...addresses, description: 'Copy recipients' },
      bcc: { ...addresses, description: 'Blind copy recipients' },
      replyTo: { type: 'string', maxLength: 320, description: 'Reply-To address' },
      subject: { type: 'string', maxLength: 998, description: 'Subject line' },
      text: { type: 'string', description: 'Plain-text body' },
      html: { type: 'string', description: 'HTML body' },
      attachments: {
        type: 'array',
        maxItems: 20,
        description: 'Files, base64-encoded',
        items: {
          type: 'object',
          properties: {
            filename: { type: 'string', minLength: 1, maxLength: 255, description: 'File name' },
            contentBase64: { type: 'string', contentEncoding: 'base64', description: 'File content, base64' },
            contentType: { type: 'string', description: 'MIME type' },
          },
          required: ['filename', 'contentBase64'],
          additionalProperties: false,
        },
      },
    },
    required: ['to', 'subject'],
    anyOf: [{ required: ['text'] }, { required: ['html'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      messageId: { type: 'string', description: 'Message-ID header of the sent mail' },
      accepted: { type: 'array', items: { type: 'string' }, description: 'Recipients the server accepted' },
      rejected: { type: 'array', items: { type: 'string' }, description: 'Recipients the server refused' },
      response: { type: 'string', description: "The server's final reply" },
    },
  },
  async run(context, input) {
    const { transporter, settings } = await transporterFor(context);
    const from = input.from ?? settings.from;
    if (!from)
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        'no sender: set input.from or the connection config.from',
      );
    try {
      const info = await transporter.sendMail({
        from,
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        replyTo: input.replyTo,
        subject: input.subject,
        text: input.text,
        html: input.html,
        attachments: input.attachments?.map((a) => ({
          filename: a.filename,
          content: Buffer.from(a.contentBase64, 'base64'),
          contentType: a.contentType,
        })),
      });
      return {
        messageId: info.messageId,
        accepted: info.accepted.map(String),
        rejected: info.rejected.map(String),
        response: info.response,
      };
    } catch (error) {
      throw smtpError(error);
    } finally {
      transporter.close();
    }
  },
});
