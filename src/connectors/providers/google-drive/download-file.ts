import { KryonixError } from '../../../platform/errors.js';
import { defineAction } from '../../sdk.js';
import { driveCall, FILE_ID } from './api.js';

export const downloadFile = defineAction<{ fileId: string; maxBytes?: number }>({
  name: 'downloadFile',
  description: "Download a file's content (binary files; Docs editors files need an export)",
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      fileId: FILE_ID,
      maxBytes: {
        type: 'integer',
        minimum: 1,
        maximum: 50 * 1024 * 1024,
        default: 10 * 1024 * 1024,
        description: 'Refuse files larger than this',
      },
    },
    required: ['fileId'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      contentBase64: { type: 'string', description: 'The content, base64' },
      size: { type: 'integer', description: 'Bytes' },
      contentType: { type: 'string', description: 'Content type Drive sent' },
    },
  },
  async run(context, input) {
    const max = input.maxBytes ?? 10 * 1024 * 1024;
    const response = await driveCall<Buffer>(context, `drive/v3/files/${input.fileId}`, {
      query: { alt: 'media', supportsAllDrives: true },
      responseType: 'buffer',
    });
    if (response.data.length > max)
      throw new KryonixError(
        'KRX_LIMIT_EXCEEDED',
        `the file has ${response.data.length} bytes, more than maxBytes ${max}`,
      );
    return {
      contentBase64: response.data.toString('base64'),
      size: response.data.length,
      contentType: response.headers['content-type'] ?? 'application/octet-stream',
    };
  },
});
