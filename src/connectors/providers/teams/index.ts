import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector, type JsonSchema } from '../../sdk.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { describeTeamsError, GRAPH_URL, graphCall, TEAMS } from './api.js';
import { ENTRA_TOKEN_URL_PATTERN, forgetGraphApp, GRAPH_SCOPE } from './entra.js';
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
const cc = AUTH_METHODS.oauth2ClientCredentials as unknown as { properties: Record<string, JsonSchema> };

export const teamsConnector = defineConnector({
  id: 'teams',
  version: '1.1.0',
  displayName: TEAMS,
  description:
    'Microsoft Teams: Workflows (Adaptive Card) and legacy connector webhooks; Microsoft Graph with an app-only token (MSAL client credentials) to list teams and channels.',
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
        type: 'object',
        description:
          'An Entra ID app: MSAL gets app-only Graph tokens with its client credentials; webhooks optional',
        properties: {
          type: cc.properties.type,
          tokenUrl: {
            ...urlField(
              "The tenant's Entra ID v2.0 token endpoint, https://login.microsoftonline.com/{tenant id or domain}/oauth2/v2.0/token (not common or organizations)",
            ),
            pattern: ENTRA_TOKEN_URL_PATTERN,
          },
          clientId: { ...cc.properties.clientId, description: 'Application (client) id of the app' },
          clientSecret: { ...cc.properties.clientSecret, description: 'Client secret value of the app' },
          scope: {
            type: 'string',
            default: GRAPH_SCOPE,
            description: `Space-separated scopes (${GRAPH_SCOPE})`,
          },
          ...WEBHOOKS,
        },
        required: ['type', 'tokenUrl', 'clientId', 'clientSecret'],
        additionalProperties: false,
      },
    ],
  },
  describeError: describeTeamsError,
  async release(connectionId) {
    forgetGraphApp(connectionId);
  },
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
