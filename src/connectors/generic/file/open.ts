import type { ActionContext } from '../../sdk.js';
import { DEFAULT_MAX_READ_BYTES, type FileBackend, type FileSettings } from './backend.js';
import { openLocal } from './local.js';
import { openS3 } from './s3.js';
import { openSftp } from './sftp.js';

export const settingsOf = (context: ActionContext) => context.connection.config as unknown as FileSettings;

/** The connection's storage, open; the caller closes it. */
export function openBackend(context: ActionContext): Promise<FileBackend> {
  const settings = settingsOf(context);
  if (settings.mode === 'sftp') return openSftp(context, settings);
  if (settings.mode === 's3') return openS3(context, settings);
  return openLocal(settings.root ?? '');
}

/** Runs `work` against the connection's storage, closing it afterwards. */
export async function withBackend<T>(
  context: ActionContext,
  work: (backend: FileBackend, settings: FileSettings) => Promise<T>,
): Promise<T> {
  const settings = settingsOf(context);
  const backend = await openBackend(context);
  try {
    return await work(backend, settings);
  } finally {
    await backend.close();
  }
}

export function maxReadBytes(settings: FileSettings, requested: number | undefined): number {
  const ceiling = settings.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  return Math.min(requested ?? ceiling, ceiling);
}

export const pathField = {
  type: 'string',
  maxLength: 4096,
  description: 'Path relative to the connection root ("/" or "" is the root); ".." may not climb above it',
} as const;

export const overwriteField = {
  type: 'boolean',
  default: true,
  description: 'Replace an existing file (false: fail with EEXIST if it exists)',
} as const;

export const createDirsField = {
  type: 'boolean',
  default: false,
  description: 'Create missing parent directories (S3 has none to create)',
} as const;

export const entrySchema = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Entry name' },
    path: { type: 'string', description: 'Path relative to the root' },
    type: { enum: ['file', 'directory', 'symlink', 'other'], description: 'Entry type' },
    size: { type: 'integer', description: 'Size in bytes' },
    modifiedAt: { type: ['string', 'null'], description: 'Last modification time (ISO 8601)' },
  },
  required: ['name', 'path', 'type', 'size'],
} as const;
