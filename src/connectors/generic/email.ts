import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { sendAction, smtpError, transporterFor } from './email/send.js';

export const emailConnector = defineConnector({
  id: 'email',
  version: '1.0.0',
  displayName: 'Email (SMTP)',
  description:
    'Send email over SMTP with nodemailer: STARTTLS or implicit TLS, AUTH, HTML and text, attachments.',
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
        description: 'SMTP server host (checked by the SSRF guard)',
      },
      port: {
        type: 'integer',
        minimum: 1,
        maximum: 65535,
        description: 'Port (default 587, or 465 with secure)',
      },
      secure: { type: 'boolean', default: false, description: 'Implicit TLS (port 465)' },
      requireTLS: { type: 'boolean', default: false, description: 'Refuse to send unless STARTTLS succeeds' },
      from: { type: 'string', maxLength: 320, description: 'Default sender' },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 600_000, description: 'Whole-run timeout in ms' },
    },
    required: ['host'],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.none, AUTH_METHODS.basic),
  actions: [sendAction],
  async test(context) {
    const { transporter, settings } = await transporterFor(context);
    try {
      await transporter.verify();
      return {
        ok: true,
        message: `SMTP server ${settings.host} accepted the connection${context.connection.authConfig?.type === 'basic' ? ' and the login' : ''}`,
      };
    } catch (error) {
      throw smtpError(error);
    } finally {
      transporter.close();
    }
  },
});
