/**
 * SFTP as file storage (`ssh2-sftp-client`): one SSH session per run, to the address the SSRF guard
 * checked, with password or private-key auth and, when configured, the server's host key pinned by its
 * SHA-256 fingerprint. Paths are relative to `config.root` on the server. Writes stream into a
 * temporary file beside the target, renamed into place once complete.
 */
import { createHash, randomUUID } from 'node:crypto';
import path from 'node:path/posix';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import SftpClient from 'ssh2-sftp-client';
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

interface SftpAuth {
  type?: string;
  username?: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

/** OpenSSH's form of a host key fingerprint: SHA256:<unpadded base64>. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ERR_NOT_CONNECTED',
]);

function sftpError(error: unknown, shown: string): KryonixError {
  if (error instanceof KryonixError) return error;
  const e = error as { code?: string | number; message?: string; level?: string };
  const message = (e.message ?? 'SFTP error').replace(/^\w+: /, '');
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(message))
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', `SFTP: ${message}`, {
      extensions: { upstreamMessage: message },
    });
  if (/host key|host verification|host denied/i.test(message) || e.level === 'handshake')
    return new KryonixError(
      'KRX_UPSTREAM_AUTH_FAILED',
      `SFTP: the server's host key does not match config.hostKeySha256`,
      {
        extensions: { upstreamMessage: message },
      },
    );
  if (UNREACHABLE.has(String(e.code)) || /timed out while waiting for handshake/i.test(message))
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', `SFTP: ${message}`, {
      extensions: { upstreamError: e.code, upstreamMessage: message, retryable: true },
    });
  if (e.code === 2 || e.code === 'ENOENT') return notFound(shown);
  if (e.code === 3 || e.code === 'EACCES') return storageError(shown, 'EACCES', 'permission denied');
  return storageError(shown, String(e.code ?? 'SFTP'), message);
}

const TYPES: Record<string, FileEntry['type']> = { '-': 'file', d: 'directory', l: 'symlink' };

export async function openSftp(context: ActionContext, settings: FileSettings): Promise<FileBackend> {
  const auth = { ...(context.connection.authConfig ?? {}), ...context.credentials } as SftpAuth;
  const address = await context.resolveTarget(settings.host ?? '');
  const root = path.normalize(`/${settings.root ?? '/'}`);
  const client = new SftpClient('kryonix');
  const timeout = Math.max(1000, context.deadline - Date.now());
  try {
    await client.connect({
      host: address,
      port: settings.port ?? 22,
      username: auth.username ?? '',
      ...(auth.type === 'ssh_key'
        ? { privateKey: auth.privateKey, passphrase: auth.passphrase }
        : { password: auth.password }),
      readyTimeout: timeout,
      ...(settings.hostKeySha256
        ? { hostVerifier: (key: Buffer) => fingerprintOf(key) === settings.hostKeySha256!.trim() }
        : {}),
    });
  } catch (error) {
    await client.end().catch(() => {});
    throw sftpError(error, settings.host ?? '');
  }
  const abort = () => void client.end().catch(() => {});
  context.signal.addEventListener('abort', abort, { once: true });
  const remote = (input: string, field?: string) => {
    const relative = relativePath(input, field);
    return { relative, absolute: path.join(root, relative), shown: `/${relative}` };
  };
  /** SFTP's RENAME refuses an existing target; with overwrite, a file there is removed first. */
  const replace = async (from: string, to: string, shown: string, overwrite: boolean) => {
    const existing = await client.exists(to);
    if (existing !== false) {
      if (!overwrite) throw alreadyExists(shown);
      if (existing === 'd') throw storageError(shown, 'EISDIR', 'is a directory');
      await client.delete(to);
    }
    await client.rename(from, to);
  };
  const entryOf = (
    name: string,
    relative: string,
    type: string,
    size: number,
    modifyTime: number,
  ): FileEntry => ({
    name,
    path: `/${relative}`,
    type: TYPES[type] ?? 'other',
    size,
    modifiedAt: modifyTime ? new Date(modifyTime).toISOString() : null,
  });

  return {
    async list(input) {
      const { relative, absolute, shown } = remote(input);
      try {
        const items = await client.list(absolute);
        return items
          .map((item) =>
            entryOf(
              item.name,
              relative ? `${relative}/${item.name}` : item.name,
              item.type,
              item.size,
              item.modifyTime,
            ),
          )
          .sort((a, b) => a.name.localeCompare(b.name));
      } catch (error) {
        throw sftpError(error, shown);
      }
    },
    async stat(input) {
      const { relative, absolute, shown } = remote(input);
      try {
        const stats = await client.stat(absolute);
        const type = stats.isDirectory ? 'd' : stats.isFile ? '-' : stats.isSymbolicLink ? 'l' : '?';
        return {
          ...entryOf(path.basename(absolute), relative, type, stats.size, stats.modifyTime),
          mode: stats.mode & 0o7777,
        };
      } catch (error) {
        throw sftpError(error, shown);
      }
    },
    async openRead(input) {
      const { absolute, shown } = remote(input);
      try {
        const stats = await client.stat(absolute);
        if (stats.isDirectory) throw storageError(shown, 'EISDIR', 'is a directory');
        return { stream: client.createReadStream(absolute) as Readable, size: stats.size };
      } catch (error) {
        throw sftpError(error, shown);
      }
    },
    async write(input, source, options) {
      const { relative, absolute, shown } = remote(input);
      if (relative === '') throw isRoot(shown);
      const temporary = path.join(path.dirname(absolute), `.${path.basename(absolute)}.${randomUUID()}.part`);
      try {
        if (!options.overwrite && (await client.exists(absolute))) throw alreadyExists(shown);
        const parent = path.dirname(absolute);
        if (options.createDirs && parent !== '/' && !(await client.exists(parent)))
          await client.mkdir(parent, true);
        await pipeline(source, client.createWriteStream(temporary));
        await replace(temporary, absolute, shown, options.overwrite);
      } catch (error) {
        source.destroy();
        await client.delete(temporary, true).catch(() => {});
        throw sftpError(error, shown);
      }
    },
    async move(fromInput, toInput, options) {
      const from = remote(fromInput, 'from');
      const to = remote(toInput, 'to');
      if (from.relative === '') throw isRoot(from.shown);
      if (to.relative === '') throw isRoot(to.shown);
      try {
        if ((await client.exists(from.absolute)) === false) throw notFound(from.shown);
        const parent = path.dirname(to.absolute);
        if (options.createDirs && parent !== '/' && !(await client.exists(parent)))
          await client.mkdir(parent, true);
        await replace(from.absolute, to.absolute, to.shown, options.overwrite);
      } catch (error) {
        throw sftpError(error, to.shown);
      }
    },
    async delete(input) {
      const { relative, absolute, shown } = remote(input);
      if (relative === '') throw isRoot(shown);
      try {
        const kind = await client.exists(absolute);
        if (kind === false) throw notFound(shown);
        if (kind === 'd') await client.rmdir(absolute);
        else await client.delete(absolute);
      } catch (error) {
        throw sftpError(error, shown);
      }
    },
    async close() {
      context.signal.removeEventListener('abort', abort);
      await client.end().catch(() => {});
    },
  };
}
