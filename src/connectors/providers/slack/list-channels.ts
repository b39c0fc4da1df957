import { defineAction } from '../../sdk.js';
import { type SlackAnswer, slackCall } from './api.js';

interface Input {
  types?: string[];
  excludeArchived?: boolean;
  limit?: number;
  pageSize?: number;
  cursor?: string;
}

/** Slack's documented ceiling of `limit` per conversations.list page. */
const MAX_PAGE = 1000;

export const listChannels = defineAction<Input>({
  name: 'listChannels',
  description: 'List channels (conversations.list), following response_metadata.next_cursor until the limit',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      types: {
        type: 'array',
        items: { enum: ['public_channel', 'private_channel', 'mpim', 'im'] },
        minItems: 1,
        uniqueItems: true,
        default: ['public_channel'],
        description: 'Kinds of conversation: public_channel, private_channel, mpim, im',
      },
      excludeArchived: { type: 'boolean', default: false, description: 'Leave archived channels out' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        default: 1000,
        description: 'Most channels collected over all pages',
      },
      pageSize: {
        type: 'integer',
        minimum: 1,
        maximum: MAX_PAGE,
        default: 200,
        description: 'Channels asked for per call (Slack allows up to 1000)',
      },
      cursor: { type: 'string', description: 'Resume from a nextCursor of an earlier run' },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      channels: { type: 'array', items: { type: 'object' }, description: 'Channels, in Slack order' },
      pages: { type: 'integer', description: 'Calls made' },
      nextCursor: {
        type: 'string',
        description: 'Cursor of the next page when the limit stopped the walk; empty when all were read',
      },
    },
  },
  async run(context, input) {
    const limit = input.limit ?? 1000;
    const channels: unknown[] = [];
    let cursor = input.cursor ?? '';
    let pages = 0;
    do {
      const answer = await slackCall<SlackAnswer & { channels: unknown[] }>(context, 'conversations.list', {
        types: (input.types ?? ['public_channel']).join(','),
        exclude_archived: input.excludeArchived ?? false,
        limit: Math.min(input.pageSize ?? 200, MAX_PAGE, limit - channels.length),
        cursor: cursor || undefined,
      });
      pages++;
      channels.push(...(Array.isArray(answer.channels) ? answer.channels : []));
      cursor = answer.response_metadata?.next_cursor ?? '';
    } while (cursor !== '' && channels.length < limit);
    // A page may hold more than asked for; the cursor then still points after the whole page.
    return { channels: channels.slice(0, limit), pages, nextCursor: cursor };
  },
});
