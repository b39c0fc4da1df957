import { defineAction } from '../../sdk.js';
import { driveCall, FILE_FIELDS, FILE_ID } from './api.js';

export const createFolder = defineAction<{ name: string; parents?: string[] }>({
  name: 'createFolder',
  description: 'Create a folder',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 1000, description: 'Folder name' },
      parents: {
        type: 'array',
        items: FILE_ID,
        maxItems: 1,
        description: 'Parent folder (default: My Drive)',
      },
    },
    required: ['name'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The folder resource' },
  async run(context, input) {
    const response = await driveCall(context, (drive, options) =>
      drive.files.create(
        {
          fields: FILE_FIELDS,
          supportsAllDrives: true,
          requestBody: {
            name: input.name,
            mimeType: 'application/vnd.google-apps.folder',
            ...(input.parents ? { parents: input.parents } : {}),
          },
        },
        options,
      ),
    );
    return response.data;
  },
});
