import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector } from '../../sdk.js';
import { describeGoogleError } from '../google/api.js';
import { googleAuth } from '../google/auth.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { GMAIL, GMAIL_API_URL, gmailCall, mailbox } from './api.js';
import { getMessage } from './get-message.js';
import { listMessages } from './list-messages.js';
import { sendEmail } from './send-email.js';

export const gmailConnector = defineConnector({
  id: 'gmail',
  version: '1.0.0',
  displayName: GMAIL,
  description: 'Gmail API: send email (RFC 2822 built from JSON, attachments), list and read messages.',
  type: 'rest',
  category: 'communication',
  provider: 'Google',
  docsUrl: 'https://developers.google.com/gmail/api/reference/rest',
  config: {
    type: 'object',
    properties: {
      apiUrl: urlField('Gmail API root', GMAIL_API_URL),
      userId: {
        type: 'string',
        maxLength: 320,
        default: 'me',
        description: "Mailbox: me (the token's user) or an address",
      },
      ...RUNNER_SETTINGS,
    },
    additionalProperties: false,
  },
  auth: {
    oneOf: [
      googleAuth(
        AUTH_METHODS.oauth2RefreshToken,
        'A user consented (OAuth2 refresh token)',
        'https://www.googleapis.com/auth/gmail.send',
      ),
      googleAuth(
        AUTH_METHODS.jwtBearer,
        'A service account with domain-wide delegation: issuer is its email, subject the mailbox user',
        'https://www.googleapis.com/auth/gmail.modify',
      ),
    ],
  },
  describeError: describeGoogleError,
  actions: [sendEmail, listMessages, getMessage],
  async test(context) {
    const response = await gmailCall(context, (gmail, options) =>
      gmail.users.getProfile({ userId: mailbox(context) }, options),
    );
    return {
      ok: true,
      message: `the mailbox ${response.data.emailAddress} answers`,
      details: { emailAddress: response.data.emailAddress, messagesTotal: response.data.messagesTotal },
    };
  },
});
