/**
 * What the file connector needs of a storage: list, stat, read (size-capped), write, delete, on paths
 * relative to the connection's root. Paths are normalised here once (POSIX, no `..` above the root).
 */
import { KryonixError } from '../../../platform/errors.js';

export interface FileEntry {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  modifiedAt: string | null;
}

export interface FileBackend {
  list(relative: string): Promise<FileEntry[]>;
  stat(relative: string): Promise<FileEntry & { mode?: number }>;
  read(relative: string, maxBytes: number): Promise<Buffer>;
  write(relative: string, data: Buffer, options: { overwrite: boolean; createDirs: boolean }): Promise<void>;
  delete(relative: string): Promise<void>;
  close(): Promise<void>;
}

export interface FileSettings {
  mode: 'local' | 'sftp';
  root?: string;
  host?: string;
  port?: number;
  hostKeySha256?: string;
  maxReadBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 10 * 1024 * 1024;

/** A caller's path → a clean path relative to the root ('' = the root); `..` above the root is refused. */
export function relativePath(input: string): string {
  if (input.includes('\0')) throw pathError(input, 'contains a NUL byte');
  const out: string[] = [];
  for (const part of input.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw pathError(input, 'leaves the root');
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export function pathError(input: string, why: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `the path ${JSON.stringify(input)} ${why}`, {
    extensions: { errors: [{ path: '/input/path', message: why }] },
  });
}

export function tooLarge(size: number, maxBytes: number): KryonixError {
  return new KryonixError(
    'KRX_LIMIT_EXCEEDED',
    `the file has ${size} bytes, more than the ${maxBytes} a read may return (raise config.maxReadBytes or input.maxBytes)`,
    { extensions: { size, maxBytes } },
  );
}

/** A storage-side failure: missing file, permission, not a directory... are the caller's to fix. */
export function storageError(what: string, code: string, message: string): KryonixError {
  return new KryonixError('KRX_UPSTREAM_REJECTED', `${what}: ${message}`, {
    extensions: { upstreamError: code, upstreamMessage: message },
  });
}
