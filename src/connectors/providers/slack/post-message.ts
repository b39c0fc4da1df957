import { defineAction } from '../../sdk.js';
import { type SlackAnswer, slackCall } from './api.js';

interface Input {
  channel: string;
  text?: string;
  blocks?: unknown[];
  threadTs?: string;
  replyBroadcast?: boolean;
  unfurlLinks?: boolean;
  mrkdwn?: boolean;
}

export const postMessage = defineAction<Input>({
  name: 'postMessage',
  description: 'Post a message to a channel (chat.postMessage): text, Block Kit blocks, or both',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      channel: {
        type: 'string',
        minLength: 1,
        maxLength: 200,
        description: 'Channel id (C…), or a channel name (#general); the bot must be a member',
      },
      text: {
        type: 'string',
        maxLength: 40000,
        description: 'Message text (mrkdwn); with blocks it becomes the notification fallback',
      },
      blocks: {
        type: 'array',
        maxItems: 50,
        items: { type: 'object' },
        description: 'Block Kit blocks',
      },
      threadTs: { type: 'string', description: "Reply in the thread of this message's ts" },
      replyBroadcast: { type: 'boolean', description: 'Also show a thread reply in the channel' },
      unfurlLinks: { type: 'boolean', description: 'Unfurl text links' },
      mrkdwn: { type: 'boolean', description: 'Parse the text as mrkdwn (default true)' },
    },
    required: ['channel'],
    anyOf: [{ required: ['text'] }, { required: ['blocks'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      channel: { type: 'string', description: 'Channel id the message went to' },
      ts: { type: 'string', description: 'Timestamp id of the message' },
      message: { type: 'object', description: 'The message as Slack stored it' },
    },
  },
  async run(context, input) {
    const answer = await slackCall<SlackAnswer & { channel: string; ts: string; message: unknown }>(
      context,
      'chat.postMessage',
      {
        channel: input.channel,
        text: input.text,
        blocks: input.blocks,
        thread_ts: input.threadTs,
        reply_broadcast: input.replyBroadcast,
        unfurl_links: input.unfurlLinks,
        mrkdwn: input.mrkdwn,
      },
    );
    return { channel: answer.channel, ts: answer.ts, message: answer.message };
  },
});
