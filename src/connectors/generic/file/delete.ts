import { defineAction } from '../../sdk.js';
import { pathField, withBackend } from './open.js';

export const deleteAction = defineAction<{ path: string }, { path: string; deleted: true }>({
  name: 'delete',
  description: 'Delete a file or an empty directory',
  classification: 'destructive',
  idempotent: false,
  input: { type: 'object', properties: { path: pathField }, required: ['path'], additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path deleted' },
      deleted: { const: true, description: 'Always true' },
    },
    required: ['path', 'deleted'],
  },
  run: (context, input) =>
    withBackend(context, async (backend) => {
      await backend.delete(input.path);
      return { path: input.path, deleted: true as const };
    }),
});
