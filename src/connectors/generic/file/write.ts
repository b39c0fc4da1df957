import { defineAction } from '../../sdk.js';
import { pathField, withBackend } from './open.js';

interface WriteInput {
  path: string;
  content: string;
  encoding?: 'utf8' | 'base64';
  overwrite?: boolean;
  createDirs?: boolean;
}

export const writeAction = defineAction<WriteInput, { path: string; size: number }>({
  name: 'write',
  description: 'Write a file from UTF-8 text or base64 (replacing it unless overwrite is false)',
  classification: 'destructive',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      path: pathField,
      content: { type: 'string', maxLength: 70_000_000, description: 'File content, in the given encoding' },
      encoding: { enum: ['utf8', 'base64'], default: 'utf8', description: 'Encoding of content' },
      overwrite: {
        type: 'boolean',
        default: true,
        description: 'Replace an existing file (false: fail if it exists)',
      },
      createDirs: { type: 'boolean', default: false, description: 'Create missing parent directories' },
    },
    required: ['path', 'content'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path written' },
      size: { type: 'integer', description: 'Bytes written' },
    },
    required: ['path', 'size'],
  },
  run: (context, input) =>
    withBackend(context, async (backend) => {
      const data = Buffer.from(input.content, input.encoding ?? 'utf8');
      await backend.write(input.path, data, {
        overwrite: input.overwrite ?? true,
        createDirs: input.createDirs ?? false,
      });
      return { path: input.path, size: data.length };
    }),
});
