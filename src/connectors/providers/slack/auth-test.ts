import { defineAction } from '../../sdk.js';
import { type SlackAnswer, slackCall } from './api.js';

export interface AuthTestAnswer extends SlackAnswer {
  url: string;
  team: string;
  user: string;
  team_id: string;
  user_id: string;
  bot_id?: string;
}

export const authTest = defineAction<Record<string, never>>({
  name: 'authTest',
  description: 'Check the bot token (auth.test): its workspace, user and bot',
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: {}, additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      url: { type: 'string', description: 'Workspace URL' },
      team: { type: 'string', description: 'Workspace name' },
      teamId: { type: 'string', description: 'Workspace id' },
      user: { type: 'string', description: 'User name of the token' },
      userId: { type: 'string', description: 'User id of the token' },
      botId: { type: 'string', description: 'Bot id, for bot tokens' },
    },
  },
  async run(context) {
    const answer = await slackCall<AuthTestAnswer>(context, 'auth.test', {});
    return {
      url: answer.url,
      team: answer.team,
      teamId: answer.team_id,
      user: answer.user,
      userId: answer.user_id,
      ...(answer.bot_id ? { botId: answer.bot_id } : {}),
    };
  },
});
