import { defineAction } from '../../sdk.js';
import type { FileEntry } from './backend.js';
import { entrySchema, pathField, withBackend } from './open.js';

export const statAction = defineAction<{ path: string }, FileEntry & { mode?: number }>({
  name: 'stat',
  description: 'Type, size, modification time and permission bits of a file or directory',
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: { path: pathField }, required: ['path'], additionalProperties: false },
  output: {
    ...entrySchema,
    properties: { ...entrySchema.properties, mode: { type: 'integer', description: 'Permission bits' } },
  },
  run: (context, input) => withBackend(context, (backend) => backend.stat(input.path)),
});
