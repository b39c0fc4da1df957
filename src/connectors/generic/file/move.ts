import { defineAction } from '../../sdk.js';
import { createDirsField, overwriteField, pathField, withBackend } from './open.js';

interface MoveInput {
  from: string;
  to: string;
  overwrite?: boolean;
  createDirs?: boolean;
}

export const moveAction = defineAction<MoveInput, { from: string; to: string; moved: true }>({
  name: 'move',
  description:
    "Move or rename a file (local folder and SFTP: also a directory) within the connection root; S3 copies the object then deletes the original (objects up to 5 GB, S3's copy limit)",
  classification: 'destructive',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      from: { ...pathField, description: 'Path to move, relative to the connection root' },
      to: {
        ...pathField,
        description: 'New path, relative to the connection root; ".." may not climb above it',
      },
      overwrite: overwriteField,
      createDirs: createDirsField,
    },
    required: ['from', 'to'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      from: { type: 'string', description: 'Path moved' },
      to: { type: 'string', description: 'Where it is now' },
      moved: { const: true, description: 'Always true' },
    },
    required: ['from', 'to', 'moved'],
  },
  run: (context, input) =>
    withBackend(context, async (backend) => {
      await backend.move(input.from, input.to, {
        overwrite: input.overwrite ?? true,
        createDirs: input.createDirs ?? false,
      });
      return { from: input.from, to: input.to, moved: true as const };
    }),
});
