import { defineAction } from '../../sdk.js';
import { driveCall, FILE_FIELDS, FILE_ID } from './api.js';

export const getFile = defineAction<{ fileId: string; fields?: string }>({
  name: 'getFile',
  description: "Read a file's metadata",
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      fileId: FILE_ID,
      fields: { type: 'string', maxLength: 2000, description: `Fields to read (default ${FILE_FIELDS})` },
    },
    required: ['fileId'],
    additionalProperties: false,
  },
  output: { type: 'object', description: 'The file resource' },
  async run(context, input) {
    const response = await driveCall(context, (drive, options) =>
      drive.files.get(
        { fileId: input.fileId, fields: input.fields ?? FILE_FIELDS, supportsAllDrives: true },
        options,
      ),
    );
    return response.data;
  },
});
