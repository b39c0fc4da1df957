import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector, type JsonSchema } from '../../sdk.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { describeTeamsError, GRAPH_URL, graphCall, TEAMS } from './api.js';
import { listChannels } from './list-channels.js';
import { listTeams } from './list-teams.js';
import { sendChannelMessage } from './send-channel-message.js';
import { sendConnectorMessage } from './send-connector-message.js';
import { sendWorkflowMessage } from './send-workflow-message.js';

const secretUrl = (description: string): JsonSchema => ({
  type: 'string',
  format: 'uri',
  pattern: '^https?://',
  writeOnly: true,
  description,
});
const WEBHOOKS = {
  workflowUrl: secretUrl('Workflows webhook URL (…powerautomate.com / …logic.azure.com, signed): a secret'),
  connectorUrl: secretUrl('Legacy Office 365 connector webhook URL (…webhook.office.com): a secret'),
};
const cc = AUTH_METHODS.oauth2ClientCredentials as unknown as {
  properties: Record<string, JsonSchema>;
  required: string[];
};

export const teamsConnector = defineConnector({
  id: 'teams',
  version: '1.0.0',
  displayName: TEAMS,
  description:
    'Microsoft Teams: Workflows (Adaptive Card) and legacy connector webhooks; Microsoft Graph with an app-only token to list teams and channels.',
  type: 'rest',
  category: 'communication',
  provider: 'Microsoft',
  docsUrl: 'https://learn.microsoft.com/graph/api/resources/teams-api-overview',
  config: {
    type: 'object',
    properties: { graphUrl: urlField('Microsoft Graph root', GRAPH_URL), ...RUNNER_SETTINGS },
    additionalProperties: false,
  },
  auth: {
    oneOf: [
      {
        type: 'object',
        description: 'Webhooks only',
        properties: { type: { const: 'none', description: 'Auth method' }, ...WEBHOOKS },
        required: ['type'],
        anyOf: [{ required: ['workflowUrl'] }, { required: ['connectorUrl'] }],
        additionalProperties: false,
      },
      {
        ...AUTH_METHODS.oauth2ClientCredentials,
        description:
          'An Entra ID app (client credentials at https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token, scope https://graph.microsoft.com/.default); webhooks optional',
        properties: { ...cc.properties, ...WEBHOOKS },
      },
    ],
  },
  describeError: describeTeamsError,
  actions: [sendWorkflowMessage, sendConnectorMessage, listTeams, listChannels, sendChannelMessage],
  async test(context) {
    if (context.auth.method === 'oauth2_client_credentials') {
      await graphCall(context, 'teams', { query: { $top: 1 } });
      return { ok: true, message: 'Microsoft Graph accepted the app token and lists teams' };
    }
    // Posting to a webhook would show a message in the channel: the URLs are only checked for shape.
    return { ok: true, message: 'webhook URLs are set (not called: a call would post a message)' };
  },
});
