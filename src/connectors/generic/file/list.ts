import { defineAction } from '../../sdk.js';
import type { FileEntry } from './backend.js';
import { entrySchema, pathField, withBackend } from './open.js';

export const listAction = defineAction<{ path?: string }, { entries: FileEntry[] }>({
  name: 'list',
  description: 'List a directory: names, types, sizes and modification times',
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: { path: pathField }, additionalProperties: false },
  output: {
    type: 'object',
    properties: { entries: { type: 'array', items: entrySchema, description: 'Directory entries, by name' } },
    required: ['entries'],
  },
  run: (context, input) =>
    withBackend(context, async (backend) => ({ entries: await backend.list(input.path ?? '') })),
});
