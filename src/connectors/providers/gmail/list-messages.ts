import type { gmail_v1 } from '@googleapis/gmail';
import { defineAction } from '../../sdk.js';
import { gmailCall, mailbox } from './api.js';

interface Input {
  q?: string;
  labelIds?: string[];
  includeSpamTrash?: boolean;
  pageSize?: number;
  limit?: number;
  pageToken?: string;
}

export const listMessages = defineAction<Input>({
  name: 'listMessages',
  description: 'List message ids matching a Gmail search, following nextPageToken until the limit',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      q: { type: 'string', maxLength: 2000, description: 'Gmail search, e.g. from:billing@x.com is:unread' },
      labelIds: {
        type: 'array',
        items: { type: 'string' },
        maxItems: 50,
        description: 'Only messages with all these labels',
      },
      includeSpamTrash: { type: 'boolean', default: false, description: 'Include SPAM and TRASH' },
      pageSize: {
        type: 'integer',
        minimum: 1,
        maximum: 500,
        default: 100,
        description: 'maxResults per call (Gmail allows 500)',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        default: 500,
        description: 'Most messages collected over all pages',
      },
      pageToken: {
        type: 'string',
        maxLength: 500,
        description: 'Resume from a nextPageToken of an earlier run',
      },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      messages: { type: 'array', items: { type: 'object' }, description: '{ id, threadId } of each message' },
      pages: { type: 'integer', description: 'Calls made' },
      resultSizeEstimate: { type: 'integer', description: "Gmail's estimate of all matches" },
      nextPageToken: { type: 'string', description: 'Where to resume when the limit stopped the walk' },
    },
  },
  async run(context, input) {
    const limit = input.limit ?? 500;
    const messages: gmail_v1.Schema$Message[] = [];
    let pageToken = input.pageToken;
    let pages = 0;
    let estimate: number | undefined;
    do {
      const response = await gmailCall(context, (gmail, options) =>
        gmail.users.messages.list(
          {
            userId: mailbox(context),
            q: input.q,
            labelIds: input.labelIds,
            includeSpamTrash: input.includeSpamTrash,
            maxResults: Math.min(input.pageSize ?? 100, 500, limit - messages.length),
            pageToken,
          },
          options,
        ),
      );
      pages++;
      messages.push(...(response.data.messages ?? []));
      estimate ??= response.data.resultSizeEstimate ?? undefined;
      pageToken = response.data.nextPageToken ?? undefined;
    } while (pageToken && messages.length < limit);
    return {
      messages,
      pages,
      ...(estimate !== undefined ? { resultSizeEstimate: estimate } : {}),
      ...(pageToken ? { nextPageToken: pageToken } : {}),
    };
  },
});
