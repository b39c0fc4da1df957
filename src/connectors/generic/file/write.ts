import { Readable } from 'node:stream';
import { KryonixError } from '../../../platform/errors.js';
import { defineAction } from '../../sdk.js';
import { counted } from '../../streams.js';
import { mediaTypeOf } from './backend.js';
import { createDirsField, overwriteField, pathField, withBackend } from './open.js';

interface WriteInput {
  path: string;
  content?: string;
  encoding?: 'utf8' | 'base64';
  overwrite?: boolean;
  createDirs?: boolean;
}

const contentMissing = (message: string) =>
  new KryonixError('KRX_VALIDATION_FAILED', message, {
    extensions: { errors: [{ path: '/input/content', message }] },
  });

export const writeAction = defineAction<WriteInput, { path: string; size: number }>({
  name: 'write',
  description:
    'Write a file from UTF-8 text or base64 in JSON, or from the raw HTTP request body, streamed, of any size (replacing it unless overwrite is false)',
  classification: 'destructive',
  idempotent: true,
  rawBody:
    "The file's bytes, streamed to the storage (any content type but application/json; S3 stores it as the object's type); the input goes in the query string, e.g. ?path=in/big.csv&overwrite=false",
  input: {
    type: 'object',
    properties: {
      path: pathField,
      content: {
        type: 'string',
        maxLength: 70_000_000,
        description:
          'File content, in the given encoding (omit it when the request body carries the raw bytes)',
      },
      encoding: { enum: ['utf8', 'base64'], default: 'utf8', description: 'Encoding of content' },
      overwrite: overwriteField,
      createDirs: createDirsField,
    },
    required: ['path'],
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
  run: (context, input) => {
    if (context.body && input.content !== undefined)
      throw contentMissing('give the content either in the JSON input or as the raw request body, not both');
    if (!context.body && input.content === undefined)
      throw contentMissing('content is required (or send the bytes as the raw request body)');
    return withBackend(context, async (backend) => {
      const source = counted(
        context.body?.stream ?? Readable.from([Buffer.from(input.content ?? '', input.encoding ?? 'utf8')]),
      );
      await backend.write(input.path, source.stream, {
        overwrite: input.overwrite ?? true,
        createDirs: input.createDirs ?? false,
        contentType: context.body?.contentType ?? mediaTypeOf(input.path),
      });
      return { path: input.path, size: source.bytes() };
    });
  },
});
