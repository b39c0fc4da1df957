import { defineAction } from '../../sdk.js';
import { graphList } from './api.js';

export const listTeams = defineAction<{ limit?: number }>({
  name: 'listTeams',
  description: 'List the teams of the tenant (Graph; needs Team.ReadBasic.All)',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 10_000,
        default: 500,
        description: 'Most teams collected',
      },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      items: {
        type: 'array',
        items: { type: 'object' },
        description: 'Teams (id, displayName, description)',
      },
      nextLink: { type: 'string', description: 'Where to resume when the limit stopped the walk' },
    },
  },
  async run(context, input) {
    return graphList(context, 'teams', { $top: Math.min(input.limit ?? 500, 999) }, input.limit ?? 500);
  },
});
