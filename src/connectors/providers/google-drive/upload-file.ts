/**
 * Uploads: one multipart/related request (JSON metadata part + media part, built by the SDK) for files
 * up to `resumableThresholdBytes`; above it a resumable session. googleapis-common has no resumable
 * uploads, so the SDK only opens the session (files.create with uploadType=resumable, sent to the
 * upload URL); the chunks are PUT to the session URI (Content-Range; Drive answers 308 with the Range
 * it has until the last chunk, 200/201 with the file) through the same transport. A 308 reporting
 * fewer bytes than sent resumes from there.
 */
import { Readable } from 'node:stream';
import type { drive_v3 } from '@googleapis/drive';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext } from '../../sdk.js';
import { defineAction } from '../../sdk.js';
import { googleCall } from '../google/api.js';
import { responseHeader } from '../google/transport.js';
import { joinUrl, nextPageUrl } from '../shared.js';
import { apiRoot, DRIVE, driveCall, FILE_FIELDS, FILE_ID } from './api.js';

interface Input {
  name: string;
  mimeType?: string;
  parents?: string[];
  description?: string;
  contentBase64?: string;
  text?: string;
  resumableThresholdBytes?: number;
  chunkSizeBytes?: number;
}

const QUANTUM = 256 * 1024; // Drive's chunk sizes are multiples of 256 KiB

async function multipart(
  context: ActionContext,
  metadata: drive_v3.Schema$File,
  content: Buffer,
  mimeType: string,
) {
  const response = await driveCall(context, (drive, options) =>
    drive.files.create(
      {
        fields: FILE_FIELDS,
        supportsAllDrives: true,
        requestBody: metadata,
        // the SDK pipes a media body into its multipart stream (a Buffer it cannot pipe)
        media: { mimeType, body: Readable.from(content) },
      },
      options,
    ),
  );
  return { file: response.data, uploadType: 'multipart', requests: 1 };
}

async function resumable(
  context: ActionContext,
  metadata: drive_v3.Schema$File,
  content: Buffer,
  mimeType: string,
  chunk: number,
) {
  const root = apiRoot(context);
  const session = await driveCall(context, (drive, options) =>
    drive.files.create(
      { uploadType: 'resumable', fields: FILE_FIELDS, supportsAllDrives: true, requestBody: metadata },
      {
        ...options,
        url: joinUrl(root, 'upload/drive/v3/files'),
        headers: { 'x-upload-content-type': mimeType, 'x-upload-content-length': String(content.length) },
      },
    ),
  );
  const location = responseHeader(session, 'location');
  if (!location)
    throw new KryonixError('KRX_UPSTREAM_ERROR', `${DRIVE} opened no upload session (no Location)`);
  // the session URI carries the connection's token: only on the API's origin
  const sessionUrl = nextPageUrl(DRIVE, location, root);
  let offset = 0;
  let requests = 1;
  for (;;) {
    const end = Math.min(offset + chunk, content.length);
    const response = await googleCall(context, DRIVE, {
      method: 'PUT',
      url: sessionUrl,
      headers: { 'content-range': `bytes ${offset}-${end - 1}/${content.length}`, 'content-type': mimeType },
      body: content.subarray(offset, end),
      acceptStatuses: [308],
    });
    requests++;
    if (response.status !== 308) return { file: response.data, uploadType: 'resumable', requests };
    const range = /bytes=0-(\d+)/.exec(response.headers.range ?? '');
    const persisted = range ? Number(range[1]) + 1 : 0;
    if (persisted <= offset && requests > 3 + Math.ceil(content.length / chunk) * 2)
      throw new KryonixError('KRX_UPSTREAM_ERROR', `${DRIVE} keeps refusing the upload at byte ${offset}`);
    offset = persisted;
  }
}

export const uploadFile = defineAction<Input>({
  name: 'uploadFile',
  description: 'Upload a file: multipart for small files, a resumable session in chunks for larger ones',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 1000, description: 'File name' },
      mimeType: {
        type: 'string',
        pattern: '^[\\w.+-]+/[\\w.+-]+$',
        default: 'application/octet-stream',
        description: 'Content type',
      },
      parents: { type: 'array', items: FILE_ID, maxItems: 1, description: 'Folder to put it in' },
      description: { type: 'string', maxLength: 10_000, description: 'File description' },
      contentBase64: { type: 'string', maxLength: 70_000_000, description: 'Content, base64' },
      text: {
        type: 'string',
        maxLength: 50_000_000,
        description: 'Content as UTF-8 text (instead of contentBase64)',
      },
      resumableThresholdBytes: {
        type: 'integer',
        minimum: 0,
        default: 5 * 1024 * 1024,
        description: 'Files larger than this go through a resumable session',
      },
      chunkSizeBytes: {
        type: 'integer',
        minimum: QUANTUM,
        multipleOf: QUANTUM,
        default: 8 * 1024 * 1024,
        description: 'Chunk size of resumable uploads (a multiple of 256 KiB)',
      },
    },
    required: ['name'],
    oneOf: [{ required: ['contentBase64'] }, { required: ['text'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      file: { type: 'object', description: 'The file resource' },
      uploadType: { enum: ['multipart', 'resumable'], description: 'How it was uploaded' },
      requests: { type: 'integer', description: 'HTTP requests it took' },
    },
  },
  async run(context, input) {
    const content =
      input.text !== undefined
        ? Buffer.from(input.text, 'utf8')
        : Buffer.from(input.contentBase64 ?? '', 'base64');
    const mimeType = input.mimeType ?? (input.text !== undefined ? 'text/plain' : 'application/octet-stream');
    const metadata = {
      name: input.name,
      mimeType,
      ...(input.parents ? { parents: input.parents } : {}),
      ...(input.description ? { description: input.description } : {}),
    };
    if (content.length <= (input.resumableThresholdBytes ?? 5 * 1024 * 1024))
      return multipart(context, metadata, content, mimeType);
    return resumable(context, metadata, content, mimeType, input.chunkSizeBytes ?? 8 * 1024 * 1024);
  },
});
