/**
 * S3-compatible object storage as file storage (`@aws-sdk/client-s3`; AWS, MinIO, R2, Ceph...): keys
 * under `config.prefix` play the files, `/`-separated key segments the directories. No key escapes the
 * prefix (paths are normalised before they become keys). Uploads stream through `lib-storage`'s
 * multipart Upload (parts of 5 MiB, two in flight), downloads stream GetObject's body. Sockets go to
 * addresses the SSRF guard checked (the endpoint up front, every DNS lookup through it). The SDK
 * makes one attempt: the runner retries by the connection's policy.
 */
import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { toUpstreamError } from '../../../gateway/retry.js';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext } from '../../sdk.js';
import {
  alreadyExists,
  type FileBackend,
  type FileEntry,
  type FileSettings,
  isRoot,
  notFound,
  relativePath,
  storageError,
} from './backend.js';

interface S3Auth {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

/** Most entries one list answers; a folder with more is refused rather than half-listed. */
export const MAX_LISTED = 100_000;
// S3's smallest part: what an upload holds in memory is about (queueSize + 1) parts.
const PART_SIZE = 5 * 1024 * 1024;

const AUTH_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AccessDenied',
  'Forbidden',
]);

/** An S3 error answer → our error: auth (424), missing key (ENOENT), retryable throttling and 5xx. */
function s3Error(error: unknown, shown: string): KryonixError {
  if (error instanceof KryonixError) return error;
  if (!(error instanceof S3ServiceException) || error.$metadata?.httpStatusCode === undefined)
    return toUpstreamError(error);
  const status = error.$metadata.httpStatusCode;
  // HEAD answers have no body: the SDK names them after the status (NotFound, Forbidden).
  const code = error.name === 'Forbidden' ? 'AccessDenied' : error.name;
  const message = error.message && error.message !== 'UnknownError' ? error.message : code;
  const extensions = {
    upstreamStatus: status,
    upstreamError: code,
    upstreamMessage: message,
    ...(error.$metadata.requestId ? { upstreamRequestId: error.$metadata.requestId } : {}),
  };
  if (code === 'NoSuchKey' || code === 'NotFound') return notFound(shown);
  if (AUTH_CODES.has(code))
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', `S3: ${message}`, { extensions });
  if (status === 503 || status >= 500 || status === 429)
    return new KryonixError('KRX_UPSTREAM_ERROR', `S3 answered ${status} ${code}: ${message}`, {
      extensions: { ...extensions, retryable: true },
    });
  return new KryonixError('KRX_UPSTREAM_REJECTED', `S3 ${shown}: ${code}: ${message}`, { extensions });
}

/** DNS lookups through the SSRF guard, so the SDK's sockets reach only addresses it allows. */
function guardedLookup(context: ActionContext): net.LookupFunction {
  return (hostname, options, callback) => {
    context.resolveTarget(hostname).then(
      (address) => {
        const family = net.isIP(address);
        if (options.all) (callback as (e: null, a: LookupAddress[]) => void)(null, [{ address, family }]);
        else callback(null, address, family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

export async function openS3(context: ActionContext, settings: FileSettings): Promise<FileBackend> {
  const auth = { ...(context.connection.authConfig ?? {}), ...context.credentials } as S3Auth;
  const bucket = settings.bucket ?? '';
  const region = settings.region ?? 'us-east-1';
  const endpoint = settings.endpoint;
  const host = new URL(endpoint ?? `https://s3.${region}.amazonaws.com`).hostname.replace(/^\[|\]$/g, '');
  // A literal IP never reaches the lookup hook: check the endpoint itself first.
  await context.resolveTarget(host);
  const lookup = guardedLookup(context);
  const client = new S3Client({
    region,
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: settings.forcePathStyle ?? false,
    credentials: {
      accessKeyId: auth.accessKeyId ?? '',
      secretAccessKey: auth.secretAccessKey ?? '',
      ...(auth.sessionToken ? { sessionToken: auth.sessionToken } : {}),
    },
    maxAttempts: 1,
    // Many S3-compatible servers refuse the SDK's default trailing checksums (aws-chunked bodies).
    ...(endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
    requestHandler: {
      httpAgent: new http.Agent({ keepAlive: true, lookup }),
      httpsAgent: new https.Agent({ keepAlive: true, lookup }),
      connectionTimeout: Math.max(1000, context.deadline - Date.now()),
    },
  });
  const prefix = relativePath(settings.prefix ?? '', 'prefix');
  const keyPrefix = prefix ? `${prefix}/` : '';
  const remote = (input: string, field?: string) => {
    const relative = relativePath(input, field);
    return { relative, key: `${keyPrefix}${relative}`, shown: `/${relative}` };
  };
  const aborting = { abortSignal: context.signal };
  const head = (key: string) =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), aborting).catch((error) => {
      if (error instanceof S3ServiceException && error.$metadata?.httpStatusCode === 404) return undefined;
      throw error;
    });
  const listPage = (Prefix: string, MaxKeys?: number, ContinuationToken?: string) =>
    client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix, Delimiter: '/', MaxKeys, ContinuationToken }),
      aborting,
    );
  /** Keys under `key/` other than its folder marker (`key/` itself). */
  const childrenOf = async (key: string) => {
    const page = await listPage(`${key}/`, 2);
    const keys = [
      ...(page.Contents ?? []).map((item) => item.Key ?? ''),
      ...(page.CommonPrefixes ?? []).map((item) => item.Prefix ?? ''),
    ];
    return { any: keys.length > 0, others: keys.some((k) => k !== `${key}/`) };
  };
  const fileEntry = (relative: string, size: number, modified: Date | undefined): FileEntry => ({
    name: path.basename(relative),
    path: `/${relative}`,
    type: 'file',
    size,
    modifiedAt: modified ? modified.toISOString() : null,
  });

  return {
    async list(input) {
      const { relative, key, shown } = remote(input);
      const folder = relative ? `${key}/` : keyPrefix;
      const entries: FileEntry[] = [];
      try {
        let token: string | undefined;
        do {
          const page = await listPage(folder, 1000, token);
          for (const item of page.CommonPrefixes ?? []) {
            const child = (item.Prefix ?? '').slice(keyPrefix.length).replace(/\/$/, '');
            entries.push({
              name: path.basename(child),
              path: `/${child}`,
              type: 'directory',
              size: 0,
              modifiedAt: null,
            });
          }
          for (const item of page.Contents ?? []) {
            if (item.Key === folder) continue; // the folder's own marker object
            entries.push(
              fileEntry((item.Key ?? '').slice(keyPrefix.length), item.Size ?? 0, item.LastModified),
            );
          }
          if (entries.length > MAX_LISTED)
            throw new KryonixError('KRX_LIMIT_EXCEEDED', `${shown} holds more than ${MAX_LISTED} entries`, {
              extensions: { maxEntries: MAX_LISTED },
            });
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token);
        if (entries.length === 0 && relative !== '' && !(await childrenOf(key)).any) {
          throw (await head(key)) ? storageError(shown, 'ENOTDIR', 'is not a directory') : notFound(shown);
        }
      } catch (error) {
        throw s3Error(error, shown);
      }
      return entries.sort((a, b) => a.name.localeCompare(b.name));
    },
    async stat(input) {
      const { relative, key, shown } = remote(input);
      const directory = {
        name: path.basename(relative),
        path: shown,
        type: 'directory' as const,
        size: 0,
        modifiedAt: null,
      };
      try {
        if (relative === '') {
          await listPage(keyPrefix, 1); // proves the bucket exists and the key may list it
          return directory;
        }
        const found = await head(key);
        if (found) return fileEntry(relative, found.ContentLength ?? 0, found.LastModified);
        if ((await childrenOf(key)).any) return directory;
        throw notFound(shown);
      } catch (error) {
        throw s3Error(error, shown);
      }
    },
    async openRead(input) {
      const { relative, key, shown } = remote(input);
      if (relative === '') throw storageError(shown, 'EISDIR', 'is a directory');
      try {
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), aborting);
        return {
          stream: answer.Body as Readable,
          size: answer.ContentLength ?? 0,
          ...(answer.ContentType ? { contentType: answer.ContentType } : {}),
        };
      } catch (error) {
        throw s3Error(error, shown);
      }
    },
    async write(input, source, options) {
      const { relative, key, shown } = remote(input);
      if (relative === '') throw isRoot(shown);
      try {
        if (!options.overwrite && (await head(key))) throw alreadyExists(shown);
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key: key, Body: source, ContentType: options.contentType },
          partSize: PART_SIZE,
          queueSize: 2,
          leavePartsOnError: false,
        });
        const abort = () => void upload.abort().catch(() => {});
        context.signal.addEventListener('abort', abort, { once: true });
        try {
          await upload.done();
        } finally {
          context.signal.removeEventListener('abort', abort);
        }
      } catch (error) {
        source.destroy();
        throw s3Error(error, shown);
      }
    },
    async move(fromInput, toInput, options) {
      const from = remote(fromInput, 'from');
      const to = remote(toInput, 'to');
      if (from.relative === '') throw isRoot(from.shown);
      if (to.relative === '') throw isRoot(to.shown);
      try {
        if (!(await head(from.key))) {
          if ((await childrenOf(from.key)).any)
            throw storageError(from.shown, 'EISDIR', 'is a directory (S3 moves single objects)');
          throw notFound(from.shown);
        }
        if (!options.overwrite && (await head(to.key))) throw alreadyExists(to.shown);
        // CopySource is "bucket/key", the key URL-encoded with its slashes kept.
        const source = `${bucket}/${from.key.split('/').map(encodeURIComponent).join('/')}`;
        await client.send(
          new CopyObjectCommand({ Bucket: bucket, Key: to.key, CopySource: source }),
          aborting,
        );
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: from.key }), aborting);
      } catch (error) {
        throw s3Error(error, from.shown);
      }
    },
    async delete(input) {
      const { relative, key, shown } = remote(input);
      if (relative === '') throw isRoot(shown);
      try {
        if (!(await head(key))) {
          const children = await childrenOf(key);
          if (children.others) throw storageError(shown, 'ENOTEMPTY', 'the directory is not empty');
          if (!children.any) throw notFound(shown);
          // An empty folder's marker object.
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${key}/` }), aborting);
          return;
        }
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), aborting);
      } catch (error) {
        throw s3Error(error, shown);
      }
    },
    async close() {
      client.destroy();
    },
  };
}
