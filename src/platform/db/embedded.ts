/** Starts the embedded PGlite server (a worker thread) and hands back a connection string for `pg`. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { lockDataDir } from './lock.js';

export interface EmbeddedDatabase {
  /** Options for `pg.Pool`: a Unix socket directory, reachable only by this user (and shared with
   * the processes of `kryonix start --workers`, which connect to it). */
  readonly poolOptions: { host: string; port: number; user: string; database: string };
  stop(): Promise<void>;
  /** Stops the database at once, writing nothing more to its files (no checkpoint). */
  abort(): Promise<void>;
}

const SOCKET_PORT = 5432; // only names the socket file: `.s.PGSQL.5432`

/** `pg.Pool` options for the embedded server listening in `socketDir`. */
export function embeddedPoolOptions(socketDir: string): EmbeddedDatabase['poolOptions'] {
  return { host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres' };
}

function spawnWorker(workerData: object): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./embedded-worker.js', import.meta.url), { workerData });
  // Run from source (tests, `npm run dev`) the worker is TypeScript: register tsx's loader inside it first.
  const source = new URL('./embedded-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

export async function startEmbeddedDatabase(dataDir: string): Promise<EmbeddedDatabase> {
  const pgDataDir = path.join(dataDir, 'pgdata');
  fs.mkdirSync(pgDataDir, { recursive: true, mode: 0o700 });
  // A short private directory: Unix socket paths are limited to about 107 bytes.
  const socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kryonix-'));
  const socketPath = path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`);
  const worker = spawnWorker({ pgDataDir, socketPath });

  await new Promise<void>((resolve, reject) => {
    const onMessage = (message: { type: string; message?: string }) => {
      if (message.type === 'ready') resolve();
      else if (message.type === 'error')
        reject(new Error(`embedded database failed to start: ${message.message}`));
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`embedded database worker exited with code ${code}`)));
  });

  let stopping: Promise<void> | undefined;
  return {
    poolOptions: embeddedPoolOptions(socketDir),
    abort() {
      // Also what a later stop() waits for: the terminated worker will not answer 'stop'.
      stopping ??= worker.terminate().then(() => fs.rmSync(socketDir, { recursive: true, force: true }));
      return stopping;
    },
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        const done = () => {
          fs.rmSync(socketDir, { recursive: true, force: true });
          resolve();
        };
        worker.once('exit', done);
        worker.on('message', (message: { type: string }) => {
          if (message.type === 'stopped') void worker.terminate();
        });
        worker.postMessage('stop');
      });
      return stopping;
    },
  };
}

/**
 * The embedded database of a data directory, locked for this process: a second start on the same
 * directory refuses. If the lock is lost while running (the directory removed or taken over), the
 * database stops at once and writes nothing more there; the platform then reports it unavailable.
 */
export async function openEmbeddedDataDir(
  dataDir: string,
): Promise<{ database: EmbeddedDatabase; close(): Promise<void> }> {
  let database: EmbeddedDatabase | undefined;
  const lock = lockDataDir(dataDir, () => {
    process.stderr.write(
      `kryonix: the lock file of ${dataDir} is gone or no longer ours (was the directory removed?): ` +
        'the embedded database stops now without writing to it; restart kryonix\n',
    );
    void database?.abort();
  });
  try {
    database = await startEmbeddedDatabase(dataDir);
  } catch (error) {
    lock.release();
    throw error;
  }
  return {
    database,
    async close() {
      await database.stop();
      lock.release();
    },
  };
}
