import { KryonixError } from '../../../platform/errors.js';
import { defineAction } from '../../sdk.js';
import { responseHeader } from '../google/transport.js';
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
    const response = await driveCall(context, (drive, options) =>
      drive.files.get(
        { fileId: input.fileId, alt: 'media', supportsAllDrives: true },
        { ...options, responseType: 'arraybuffer' },
      ),
    );
    // alt=media answers the bytes, which our adapter hands over as a Buffer
    const content = response.data as unknown as Buffer;
    if (content.length > max)
      throw new KryonixError(
        'KRX_LIMIT_EXCEEDED',
        `the file has ${content.length} bytes, more than maxBytes ${max}`,
      );
    return {
      contentBase64: content.toString('base64'),
      size: content.length,
      contentType: responseHeader(response, 'content-type') ?? 'application/octet-stream',
    };
  },
});
