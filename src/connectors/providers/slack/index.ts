import { AUTH_METHODS } from '../../auth-schemas.js';
import { defineConnector, type JsonSchema } from '../../sdk.js';
import { RUNNER_SETTINGS, urlField } from '../shared.js';
import { describeSlackError, SLACK, SLACK_API_URL, slackCall } from './api.js';
import { type AuthTestAnswer, authTest } from './auth-test.js';
import { listChannels } from './list-channels.js';
import { postMessage } from './post-message.js';
import { postToWebhook, sendWebhook } from './send-webhook.js';
import { uploadFile } from './upload-file.js';

const webhookUrl: JsonSchema = {
  type: 'string',
  format: 'uri',
  pattern: '^https?://',
  writeOnly: true,
  description: 'Incoming-webhook URL (https://hooks.slack.com/services/T…/B…/…): it is a secret',
};

const bearer = AUTH_METHODS.bearer as { properties: Record<string, JsonSchema> };

export const slackConnector = defineConnector({
  id: 'slack',
  version: '1.1.0',
  displayName: SLACK,
  description:
    'Slack Web API through @slack/web-api with a bot token (post messages, list channels, upload files, auth.test) and incoming-webhook posting.',
  type: 'rest',
  category: 'communication',
  provider: 'Slack',
  docsUrl: 'https://api.slack.com/web',
  config: {
    type: 'object',
    properties: {
      apiUrl: urlField('Web API root', SLACK_API_URL),
      ...RUNNER_SETTINGS,
    },
    additionalProperties: false,
  },
  auth: {
    oneOf: [
      {
        type: 'object',
        description: 'Bot token (xoxb-…) sent as a Bearer header; optionally an incoming webhook too',
        properties: {
          type: { const: 'bearer', description: 'Auth method' },
          token: { ...bearer.properties.token, description: 'Bot token (xoxb-…)' },
          webhookUrl,
        },
        required: ['type', 'token'],
        additionalProperties: false,
      },
      {
        type: 'object',
        description: 'Incoming webhook only (sendWebhook): no Web API calls',
        properties: { type: { const: 'none', description: 'Auth method' }, webhookUrl },
        required: ['type', 'webhookUrl'],
        additionalProperties: false,
      },
    ],
  },
  rateLimits: { note: 'per-method tiers (1+ to 100+ calls/minute); chat.postMessage about 1/s/channel' },
  describeError: describeSlackError,
  actions: [postMessage, listChannels, uploadFile, authTest, sendWebhook],
  async test(context) {
    if (context.auth.method === 'bearer') {
      const answer = await slackCall<AuthTestAnswer>(context, 'auth.test', {});
      return {
        ok: true,
        message: `the token works for ${answer.user} in ${answer.team}`,
        details: { team: answer.team, teamId: answer.team_id, userId: answer.user_id, botId: answer.bot_id },
      };
    }
    // An empty payload is refused without posting anything: a payload error proves the hook exists.
    const response = await postToWebhook(context, {}).catch((error: unknown) => error);
    const refusal = (response as { extensions?: Record<string, unknown> }).extensions;
    if (refusal?.upstreamStatus === 400)
      return {
        ok: true,
        message: 'the incoming webhook exists (probed with an empty payload; nothing was posted)',
      };
    if (response instanceof Error) throw response;
    return { ok: true, message: 'the incoming webhook answered' };
  },
});
