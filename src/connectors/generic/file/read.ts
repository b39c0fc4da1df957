import path from 'node:path/posix';
import { KryonixError } from '../../../platform/errors.js';
import { type ConvertOptions, convertFormat, DEFAULT_LIMITS } from '../../../transform/index.js';
import { defineAction, StreamedBody } from '../../sdk.js';
import { mediaTypeOf, readAll } from './backend.js';
import { maxReadBytes, openBackend, pathField, settingsOf, withBackend } from './open.js';

type ParseFormat = 'csv' | 'json' | 'xml' | 'yaml';

interface ReadInput {
  path: string;
  encoding?: 'utf8' | 'base64' | 'raw';
  maxBytes?: number;
  parse?: ParseFormat;
  parseOptions?: Pick<ConvertOptions, 'delimiter' | 'quote' | 'header' | 'parseValues' | 'attributePrefix'>;
}

type ReadOutput =
  | { path: string; content: string; encoding: string; size: number }
  | { path: string; format: ParseFormat; data: unknown; size: number }
  | StreamedBody;

function conflict(field: string, message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', message, {
    extensions: { errors: [{ path: `/input/${field}`, message }] },
  });
}

export const readAction = defineAction<ReadInput, ReadOutput>({
  name: 'read',
  description:
    'Read a file: as UTF-8 text or base64 in JSON (size-capped), parsed from CSV, JSON, XML or YAML into data (parse), or streamed as the raw HTTP response body of any size (encoding "raw")',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      path: pathField,
      encoding: {
        enum: ['utf8', 'base64', 'raw'],
        default: 'utf8',
        description:
          'utf8 or base64: the content in the JSON answer; raw: the bytes themselves are the HTTP response body, streamed (no size cap), with Content-Type, Content-Length and the execution id in X-Kryonix-Execution-Id',
      },
      maxBytes: {
        type: 'integer',
        minimum: 1,
        maximum: 52_428_800,
        description: "Largest file read into the JSON answer (capped by the connection's maxReadBytes)",
      },
      parse: {
        enum: ['csv', 'json', 'xml', 'yaml'],
        description: `Parse the file (UTF-8) with the transform module and answer the structured data; files above ${DEFAULT_LIMITS.maxInputBytes} bytes are refused`,
      },
      parseOptions: {
        type: 'object',
        description: 'How to parse (with parse)',
        properties: {
          delimiter: {
            type: 'string',
            minLength: 1,
            maxLength: 4,
            description: 'csv: field separator (default ",")',
          },
          quote: {
            type: 'string',
            minLength: 1,
            maxLength: 1,
            description: 'csv: quote character (default ")',
          },
          header: {
            type: 'boolean',
            description:
              'csv: the first row names the columns, rows are objects (default true); false: rows are arrays',
          },
          parseValues: {
            type: 'boolean',
            description:
              'csv, xml: read numbers and booleans instead of keeping every value a string (default false)',
          },
          attributePrefix: {
            type: 'string',
            maxLength: 10,
            description: 'xml: prefix of attribute keys (default "@_")',
          },
        },
        additionalProperties: false,
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    description: 'The JSON answer (with encoding "raw" the body is the file itself, not JSON)',
    properties: {
      path: { type: 'string', description: 'Path read' },
      content: { type: 'string', description: 'File content, in the requested encoding (without parse)' },
      encoding: { enum: ['utf8', 'base64'], description: 'Encoding of content (without parse)' },
      format: { enum: ['csv', 'json', 'xml', 'yaml'], description: 'Format parsed (with parse)' },
      data: {
        description: 'The parsed content (with parse): CSV rows, the JSON/YAML value, the XML as JSON',
      },
      size: { type: 'integer', description: 'Size in bytes' },
    },
    required: ['path', 'size'],
  },
  async run(context, input) {
    if (input.parse && input.encoding && input.encoding !== 'utf8')
      throw conflict(
        'encoding',
        `parse reads the file as UTF-8 text; encoding "${input.encoding}" does not apply`,
      );
    if (input.parseOptions && !input.parse) throw conflict('parseOptions', 'parseOptions needs parse');
    if (input.encoding === 'raw') {
      if (input.maxBytes !== undefined)
        throw conflict('maxBytes', 'a raw read streams; maxBytes does not apply');
      const backend = await openBackend(context);
      try {
        const opened = await backend.openRead(input.path);
        // The storage stays open until the stream is consumed or broken off.
        opened.stream.once('close', () => void backend.close());
        const name = path.basename(input.path);
        return new StreamedBody(opened.stream, opened.contentType ?? mediaTypeOf(name), opened.size, name);
      } catch (error) {
        await backend.close();
        throw error;
      }
    }
    return withBackend(context, async (backend) => {
      const cap = maxReadBytes(settingsOf(context), input.maxBytes);
      if (input.parse) {
        const data = await readAll(backend, input.path, Math.min(cap, DEFAULT_LIMITS.maxInputBytes));
        return {
          path: input.path,
          format: input.parse,
          data: convertFormat(data.toString('utf8'), {
            from: input.parse,
            to: 'json',
            options: input.parseOptions,
          }),
          size: data.length,
        };
      }
      const data = await readAll(backend, input.path, cap);
      const encoding = input.encoding === 'base64' ? 'base64' : 'utf8';
      return { path: input.path, content: data.toString(encoding), encoding, size: data.length };
    });
  },
});
