/**
 * A local folder as file storage, confined to its root: the root must sit inside one of the folders the
 * operator allows (KRYONIX_DANGEROUS_FILE_ROOTS, off by default, since a connection can then read and
 * write there), paths never climb above it, and every path is checked again after `realpath` so a
 * symbolic link cannot lead out of it. Writes go to a temporary file beside the target, renamed into
 * place once complete, so an interrupted upload never leaves half a file under the real name.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { KryonixError } from '../../../platform/errors.js';
import {
  alreadyExists,
  type FileBackend,
  type FileEntry,
  pathError,
  relativePath,
  storageError,
} from './backend.js';

/** Folders a local-mode root may be in, from KRYONIX_DANGEROUS_FILE_ROOTS (comma-separated absolute paths). */
export function allowedRoots(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KRYONIX_DANGEROUS_FILE_ROOTS ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && path.isAbsolute(entry));
}

const exists = (target: string) =>
  fs.lstat(target).then(
    () => true,
    () => false,
  );

const inside = (root: string, target: string) => target === root || target.startsWith(`${root}${path.sep}`);

function fsError(error: unknown, relative: string): KryonixError {
  const e = error as NodeJS.ErrnoException;
  if (error instanceof KryonixError) return error;
  const shown = `/${relative}`;
  const messages: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOTDIR: 'a parent is not a directory',
    EISDIR: 'is a directory',
    EEXIST: 'already exists',
    ENOTEMPTY: 'the directory is not empty',
    EINVAL: 'cannot be moved there (into itself?)',
  };
  if (e?.code && messages[e.code]) return storageError(shown, e.code, messages[e.code]);
  return new KryonixError('KRX_UPSTREAM_ERROR', `${shown}: ${e?.code ?? 'file system error'}`, {
    extensions: { upstreamError: e?.code },
  });
}

function entryOf(name: string, relative: string, stats: import('node:fs').Stats): FileEntry {
  return {
    name,
    path: `/${relative}`,
    type: stats.isFile()
      ? 'file'
      : stats.isDirectory()
        ? 'directory'
        : stats.isSymbolicLink()
          ? 'symlink'
          : 'other',
    size: stats.size,
    modifiedAt: stats.mtime.toISOString(),
  };
}

export async function openLocal(root: string): Promise<FileBackend> {
  const allowed = allowedRoots();
  if (allowed.length === 0)
    throw new KryonixError(
      'KRX_FORBIDDEN',
      'local file connections are disabled: the operator allows folders with KRYONIX_DANGEROUS_FILE_ROOTS',
    );
  if (!path.isAbsolute(root))
    throw new KryonixError('KRX_VALIDATION_FAILED', 'config.root must be an absolute path');
  let realRoot: string;
  try {
    realRoot = await fs.realpath(root);
  } catch (error) {
    throw fsError(error, '');
  }
  const realAllowed = await Promise.all(allowed.map((entry) => fs.realpath(entry).catch(() => undefined)));
  if (!realAllowed.some((entry) => entry !== undefined && inside(entry, realRoot)))
    throw new KryonixError(
      'KRX_FORBIDDEN',
      `the root ${root} is outside the folders KRYONIX_DANGEROUS_FILE_ROOTS allows`,
    );

  /** The absolute path of `input`, after checking that it (or, if missing, its nearest existing parent) resolves inside the root. */
  async function resolve(input: string, field = 'path'): Promise<{ relative: string; absolute: string }> {
    const relative = relativePath(input, field);
    const absolute = path.join(realRoot, relative);
    let probe = absolute;
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        if (!inside(realRoot, real))
          throw pathError(input, 'leads out of the root through a symbolic link', field);
        break;
      } catch (error) {
        if (error instanceof KryonixError) throw error;
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || probe === realRoot)
          throw fsError(error, relative);
        probe = path.dirname(probe);
      }
    }
    return { relative, absolute };
  }

  return {
    async list(input) {
      const { relative, absolute } = await resolve(input);
      try {
        const names = await fs.readdir(absolute);
        const entries: FileEntry[] = [];
        for (const name of names.sort()) {
          const child = relative ? `${relative}/${name}` : name;
          const stats = await fs.lstat(path.join(absolute, name)).catch(() => undefined);
          if (stats) entries.push(entryOf(name, child, stats));
        }
        return entries;
      } catch (error) {
        throw fsError(error, relative);
      }
    },
    async stat(input) {
      const { relative, absolute } = await resolve(input);
      try {
        const stats = await fs.stat(absolute);
        return { ...entryOf(path.basename(absolute), relative, stats), mode: stats.mode & 0o7777 };
      } catch (error) {
        throw fsError(error, relative);
      }
    },
    async openRead(input) {
      const { relative, absolute } = await resolve(input);
      let handle: fs.FileHandle | undefined;
      try {
        handle = await fs.open(absolute, 'r');
        const stats = await handle.stat();
        if (stats.isDirectory()) throw storageError(`/${relative}`, 'EISDIR', 'is a directory');
        return { stream: handle.createReadStream(), size: stats.size };
      } catch (error) {
        await handle?.close();
        throw fsError(error, relative);
      }
    },
    async write(input, source, options) {
      const { relative, absolute } = await resolve(input);
      if (relative === '') throw pathError(input, 'is the root');
      const temporary = path.join(path.dirname(absolute), `.${path.basename(absolute)}.${randomUUID()}.part`);
      try {
        if (options.createDirs) {
          await fs.mkdir(path.dirname(absolute), { recursive: true });
          await resolve(path.posix.dirname(relative)); // the created parents are still inside
        }
        if (!options.overwrite && (await exists(absolute))) throw alreadyExists(`/${relative}`);
        await pipeline(source, createWriteStream(temporary, { flags: 'wx' }));
        // link() refuses an existing target atomically, so overwrite: false holds even against a race.
        if (options.overwrite) await fs.rename(temporary, absolute);
        else await fs.link(temporary, absolute);
      } catch (error) {
        source.destroy();
        throw fsError(error, relative);
      } finally {
        await fs.rm(temporary, { force: true });
      }
    },
    async move(fromInput, toInput, options) {
      const from = relativePath(fromInput, 'from');
      if (from === '') throw pathError(fromInput, 'is the root', 'from');
      // Like delete: the entry may be a link (it moves, not what it points to); its parent must be inside.
      await resolve(path.posix.dirname(from), 'from');
      const to = await resolve(toInput, 'to');
      if (to.relative === '') throw pathError(toInput, 'is the root', 'to');
      try {
        await fs.lstat(path.join(realRoot, from));
      } catch (error) {
        throw fsError(error, from);
      }
      try {
        if (options.createDirs) {
          await fs.mkdir(path.dirname(to.absolute), { recursive: true });
          await resolve(path.posix.dirname(to.relative), 'to');
        }
        if (!options.overwrite && (await exists(to.absolute))) throw alreadyExists(`/${to.relative}`);
        await fs.rename(path.join(realRoot, from), to.absolute);
      } catch (error) {
        throw fsError(error, to.relative);
      }
    },
    async delete(input) {
      const relative = relativePath(input);
      if (relative === '') throw pathError(input, 'is the root');
      // The parent must resolve inside the root; the entry itself may be a link (unlinking it is harmless).
      await resolve(path.posix.dirname(relative));
      const absolute = path.join(realRoot, relative);
      try {
        const stats = await fs.lstat(absolute);
        if (stats.isDirectory()) await fs.rmdir(absolute);
        else await fs.unlink(absolute);
      } catch (error) {
        throw fsError(error, relative);
      }
    },
    async close() {},
  };
}
