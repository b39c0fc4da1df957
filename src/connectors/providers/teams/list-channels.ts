import { defineAction } from '../../sdk.js';
import { graphList } from './api.js';

export const GRAPH_ID = { type: 'string', pattern: '^[A-Za-z0-9@:._-]{1,200}$', description: 'Graph id' };

export const listChannels = defineAction<{ teamId: string; limit?: number }>({
  name: 'listChannels',
  description: "List a team's channels (Graph; needs Channel.ReadBasic.All)",
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      teamId: { ...GRAPH_ID, description: 'Team (group) id' },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 10_000,
        default: 500,
        description: 'Most channels collected',
      },
    },
    required: ['teamId'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: { items: { type: 'array', items: { type: 'object' }, description: 'Channels' } },
  },
  async run(context, input) {
    return graphList(context, `teams/${input.teamId}/channels`, undefined, input.limit ?? 500);
  },
});
