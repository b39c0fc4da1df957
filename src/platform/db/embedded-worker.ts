/**
 * Worker thread that owns the embedded PGlite database and serves it over the Postgres wire protocol
 * on a private Unix socket. PGlite runs queries on its calling thread; living here keeps it off the
 * server's event loop, and the app talks to it with `pg` exactly as to PostgreSQL.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

interface EmbeddedWorkerData {
  pgDataDir: string;
  socketPath: string;
}

const { pgDataDir, socketPath } = workerData as EmbeddedWorkerData;

async function main(): Promise<void> {
  const db = await PGlite.create(pgDataDir);
  // One connection: PGlite has one session, and multiplexing clients over it would interleave their
  // extended-protocol messages and session state. The app's pool is sized to match.
  const server = new PGLiteSocketServer({ db, path: socketPath, maxConnections: 1 });
  await server.start();
  parentPort?.on('message', async (message: unknown) => {
    if (message !== 'stop') return;
    await server.stop();
    await db.close();
    parentPort?.postMessage({ type: 'stopped' });
  });
  parentPort?.postMessage({ type: 'ready' });
}

main().catch((error: unknown) => {
  parentPort?.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
});
