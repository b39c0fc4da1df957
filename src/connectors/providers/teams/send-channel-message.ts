import { KryonixError } from '../../../platform/errors.js';
import { defineAction } from '../../sdk.js';
import { graphCall } from './api.js';
import { GRAPH_ID } from './list-channels.js';

const APP_ONLY_HINT =
  'Graph lets an app-only (client credentials) token post channel messages only to import history (Teamwork.Migrate.All); to post, use sendWorkflowMessage with a Workflows webhook, or a delegated token with ChannelMessage.Send';

export const sendChannelMessage = defineAction<{
  teamId: string;
  channelId: string;
  content: string;
  contentType?: string;
}>({
  name: 'sendChannelMessage',
  description:
    'Post a message to a channel through Graph (app-only tokens are refused by Microsoft outside migrations)',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      teamId: { ...GRAPH_ID, description: 'Team (group) id' },
      channelId: { ...GRAPH_ID, description: 'Channel id (19:…@thread.tacv2)' },
      content: { type: 'string', minLength: 1, maxLength: 28000, description: 'Message body' },
      contentType: { enum: ['html', 'text'], default: 'html', description: 'Body format' },
    },
    required: ['teamId', 'channelId', 'content'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The chatMessage created' },
  async run(context, input) {
    try {
      const response = await graphCall(
        context,
        `teams/${input.teamId}/channels/${encodeURIComponent(input.channelId)}/messages`,
        {
          method: 'POST',
          body: { body: { contentType: input.contentType ?? 'html', content: input.content } },
        },
      );
      return response.data;
    } catch (error) {
      if (
        error instanceof KryonixError &&
        error.extensions.upstreamStatus === 403 &&
        /application-only context only for import/i.test(String(error.extensions.upstreamMessage))
      )
        throw new KryonixError(error.code, `${error.message}. ${APP_ONLY_HINT}`, {
          cause: error,
          headers: error.headers,
          extensions: { ...error.extensions, hint: APP_ONLY_HINT },
        });
      throw error;
    }
  },
});
