import { KryonixError } from '../../platform/errors.js';
import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector, type TestResult } from '../sdk.js';
import { getMessageAction } from './email/get-message.js';
import { connectImap, IMAP_CONFIG, imapError, imapSettingsOf, mailboxOf } from './email/imap.js';
import { listMessagesAction } from './email/list-messages.js';
import { markSeenAction } from './email/mark-seen.js';
import { sendAction, smtpError, transporterFor } from './email/send.js';

export const emailConnector = defineConnector({
  id: 'email',
  version: '1.1.0',
  displayName: 'Email (SMTP, IMAP)',
  description:
    'Send email over SMTP with nodemailer (STARTTLS or implicit TLS, AUTH, HTML and text, attachments) and read it over IMAP with imapflow (list, fetch, mark seen).',
  type: 'email',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/email',
  config: {
    type: 'object',
    properties: {
      host: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'SMTP server host (checked by the SSRF guard); needed to send',
      },
      port: {
        type: 'integer',
        minimum: 1,
        maximum: 65535,
        description: 'SMTP port (default 587, or 465 with secure)',
      },
      secure: { type: 'boolean', default: false, description: 'SMTP over implicit TLS (port 465)' },
      requireTLS: { type: 'boolean', default: false, description: 'Refuse to send unless STARTTLS succeeds' },
      from: { type: 'string', maxLength: 320, description: 'Default sender' },
      imap: IMAP_CONFIG,
      timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, description: 'Whole-run timeout in ms' },
    },
    anyOf: [{ required: ['host'] }, { required: ['imap'] }],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.none, AUTH_METHODS.basic),
  actions: [sendAction, listMessagesAction, getMessageAction, markSeenAction],
  /** Checks each configured server: SMTP (connect, login) and IMAP (login, open the mailbox). */
  async test(context) {
    const checks: TestResult[] = [];
    if (typeof context.connection.config.host === 'string') {
      const { transporter, settings } = await transporterFor(context);
      try {
        await transporter.verify();
        checks.push({
          ok: true,
          message: `SMTP server ${settings.host} accepted the connection${context.connection.authConfig?.type === 'basic' ? ' and the login' : ''}`,
        });
      } catch (error) {
        throw smtpError(error);
      } finally {
        transporter.close();
      }
    }
    const imap = imapSettingsOf(context);
    if (imap) {
      const mailbox = mailboxOf(context);
      const client = await connectImap(context);
      try {
        const status = await client.status(mailbox, { messages: true, unseen: true });
        if (!status)
          throw new KryonixError('KRX_UPSTREAM_REJECTED', `IMAP: mailbox "${mailbox}" could not be read`);
        checks.push({
          ok: true,
          message: `IMAP server ${imap.host} accepted the login; ${mailbox} holds ${status.messages} messages (${status.unseen} unread)`,
          details: { imap: { mailbox, messages: status.messages, unseen: status.unseen } },
        });
      } catch (error) {
        throw imapError(error, mailbox);
      } finally {
        await client.logout().catch(() => client.close());
      }
    }
    if (checks.length === 0)
      throw new KryonixError('KRX_VALIDATION_FAILED', 'configure an SMTP host or an IMAP server');
    return {
      ok: true,
      message: checks.map((check) => check.message).join('; '),
      details: Object.assign({}, ...checks.map((check) => check.details)),
    };
  },
});
