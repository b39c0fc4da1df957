import { defineAction } from '../../sdk.js';
import { maxReadBytes, pathField, withBackend } from './open.js';

interface ReadInput {
  path: string;
  encoding?: 'utf8' | 'base64';
  maxBytes?: number;
}

export const readAction = defineAction<
  ReadInput,
  { path: string; content: string; encoding: string; size: number }
>({
  name: 'read',
  description: 'Read a file as UTF-8 text or base64; refused (KRX_LIMIT_EXCEEDED) above the size cap',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      path: pathField,
      encoding: { enum: ['utf8', 'base64'], default: 'utf8', description: 'How the content is answered' },
      maxBytes: {
        type: 'integer',
        minimum: 1,
        maximum: 52_428_800,
        description: "Largest file read (capped by the connection's maxReadBytes)",
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Path read' },
      content: { type: 'string', description: 'File content, in the requested encoding' },
      encoding: { enum: ['utf8', 'base64'], description: 'Encoding of content' },
      size: { type: 'integer', description: 'Size in bytes' },
    },
    required: ['path', 'content', 'encoding', 'size'],
  },
  run: (context, input) =>
    withBackend(context, async (backend, settings) => {
      const data = await backend.read(input.path, maxReadBytes(settings, input.maxBytes));
      const encoding = input.encoding ?? 'utf8';
      return { path: input.path, content: data.toString(encoding), encoding, size: data.length };
    }),
});
