/**
 * What the file connector needs of a storage: list, stat, open a read stream, write from a stream,
 * move, delete, on paths relative to the connection's root. Paths are normalised here once (POSIX, no
 * `..` above the root). Content always flows as streams, so a large file never sits in memory; the
 * JSON form of read collects a stream under a size cap (`readAll`).
 */
import type { Readable } from 'node:stream';
import { KryonixError } from '../../../platform/errors.js';

export interface FileEntry {
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'other';
  size: number;
  modifiedAt: string | null;
}

export interface WriteOptions {
  overwrite: boolean;
  createDirs: boolean;
  /** Media type stored with the object where the storage keeps one (S3). */
  contentType: string;
}

export interface OpenedFile {
  stream: Readable;
  size: number;
  /** The type the storage recorded, if it records one (S3). */
  contentType?: string;
}

export interface FileBackend {
  list(relative: string): Promise<FileEntry[]>;
  stat(relative: string): Promise<FileEntry & { mode?: number }>;
  /** A stream of the file's bytes; the caller must consume or destroy it before `close()`. */
  openRead(relative: string): Promise<OpenedFile>;
  /** Writes the stream to the file; resolves once the storage has all of it. */
  write(relative: string, source: Readable, options: WriteOptions): Promise<void>;
  move(from: string, to: string, options: Omit<WriteOptions, 'contentType'>): Promise<void>;
  delete(relative: string): Promise<void>;
  close(): Promise<void>;
}

export interface FileSettings {
  mode: 'local' | 'sftp' | 's3';
  root?: string;
  host?: string;
  port?: number;
  hostKeySha256?: string;
  bucket?: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
  prefix?: string;
  maxReadBytes?: number;
}

export const DEFAULT_MAX_READ_BYTES = 10 * 1024 * 1024;

/** A caller's path → a clean path relative to the root ('' = the root); `..` above the root is refused. */
export function relativePath(input: string, field = 'path'): string {
  if (input.includes('\0')) throw pathError(input, 'contains a NUL byte', field);
  const out: string[] = [];
  for (const part of input.replaceAll('\\', '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw pathError(input, 'leaves the root', field);
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export function pathError(input: string, why: string, field = 'path'): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', `the path ${JSON.stringify(input)} ${why}`, {
    extensions: { errors: [{ path: `/input/${field}`, message: why }] },
  });
}

export function tooLarge(size: number, maxBytes: number): KryonixError {
  return new KryonixError(
    'KRX_LIMIT_EXCEEDED',
    `the file has ${size} bytes, more than the ${maxBytes} a read may return (raise config.maxReadBytes or input.maxBytes, or read it with encoding "raw", which streams)`,
    { extensions: { size, maxBytes } },
  );
}

/** A storage-side failure: missing file, permission, not a directory... are the caller's to fix. */
export function storageError(what: string, code: string, message: string): KryonixError {
  return new KryonixError('KRX_UPSTREAM_REJECTED', `${what}: ${message}`, {
    extensions: { upstreamError: code, upstreamMessage: message },
  });
}

export const notFound = (shown: string) => storageError(shown, 'ENOENT', 'no such file or directory');
export const alreadyExists = (shown: string) => storageError(shown, 'EEXIST', 'already exists');
export const isRoot = (shown: string) => storageError(shown, 'EISDIR', 'is the root');

/** The whole file in memory, refused above `maxBytes` (checked on the size first, then while reading). */
export async function readAll(backend: FileBackend, relative: string, maxBytes: number): Promise<Buffer> {
  const { stream, size } = await backend.openRead(relative);
  // A stream destroyed early may still report its handle's close failing (SFTP, as the session ends).
  stream.on('error', () => {});
  if (size > maxBytes) {
    stream.destroy();
    throw tooLarge(size, maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      stream.destroy();
      throw tooLarge(total, maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

const MEDIA_TYPES: Record<string, string> = {
  csv: 'text/csv',
  json: 'application/json',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  txt: 'text/plain',
  html: 'text/html',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  zip: 'application/zip',
  gz: 'application/gzip',
};

/** The media type a file name suggests (application/octet-stream when unknown). */
export function mediaTypeOf(name: string): string {
  const extension = /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase();
  return (extension && MEDIA_TYPES[extension]) ?? 'application/octet-stream';
}
