/**
 * `kryonix start --workers N`: N processes (node:cluster) sharing one port, each a full platform
 * (createPlatform) on its own event loop and core.
 *
 * The primary serves nothing over HTTP; it owns what must exist once:
 * - the embedded database (no DATABASE_URL): it takes the data-directory lock, runs PGlite in its
 *   worker thread and serves it on its Unix socket, which the workers connect to (the embedded
 *   server shares its one session between clients transaction by transaction, see
 *   platform/db/embedded-worker.ts); it also migrates, bootstraps and creates the master key
 *   before any worker starts, so workers never race on them;
 * - without Redis, the rate-limit counters: workers send each check over IPC and the primary
 *   counts in one memory store, so limits are exact across workers (with REDIS_URL the Redis store
 *   already is); and the configuration-change events (a connection updated through one worker
 *   drops the others' cached copy), relayed to every other worker;
 * - the metrics a scrape sees: the worker that takes a scrape asks the primary, which merges every
 *   worker's registry (prom-client's cluster aggregation), so any worker answers for all.
 * Jobs that must run once per cluster (the outbound delivery worker, the scheduler) run in worker 0
 * only: with the embedded database every worker shares one Postgres session, so advisory locks
 * cannot elect a leader among them. A worker that dies is replaced.
 */
import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from './config.js';
import { upsertBuiltInConnectors } from './connectors/registry.js';
import type { CounterStore } from './gateway/ratelimit-store.js';
import { type ConsumeResult, type CounterRequest, createMemoryStore } from './gateway/ratelimit-store.js';
import { loadKeyring } from './platform/crypto.js';
import { openDatabase } from './platform/db/client.js';
import { openEmbeddedDataDir } from './platform/db/embedded.js';
import { SHARED_EVENT_TYPES } from './platform/event-transport.js';
import type { EventTransport, PlatformEvent } from './platform/events.js';
import { bootstrapDefaultTenant } from './platform/tenancy.js';
import type { ClusterMember } from './start.js';

const SOCKET_ENV = 'KRYONIX_CLUSTER_DB_SOCKET';
const INDEX_ENV = 'KRYONIX_CLUSTER_WORKER';

type ClusterMessage =
  | { krx: 'rl'; id: number; requests: readonly CounterRequest[]; points: number }
  | { krx: 'rl-result'; id: number; result?: ConsumeResult; error?: string }
  | { krx: 'metrics'; id: number }
  | { krx: 'metrics-result'; id: number; text?: string; error?: string }
  | { krx: 'event'; event: PlatformEvent };

type PrimaryRequest = Extract<ClusterMessage, { krx: 'rl' | 'metrics' }>;
type PrimaryReply = Extract<ClusterMessage, { krx: 'rl-result' | 'metrics-result' }>;
/** A request as a worker writes it; the link numbers it. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

const isClusterMessage = (message: unknown): message is ClusterMessage =>
  typeof message === 'object' && message !== null && 'krx' in message;

/** Roles of worker `index`: once-per-cluster jobs only in worker 0. */
export function workerRoles(roles: readonly string[], index: number): string[] {
  if (index === 0) return [...roles];
  const shared = roles.filter((role) => role !== 'worker' && role !== 'scheduler');
  return shared.length > 0 ? shared : [...roles];
}

export const isClusterWorker = () => cluster.isWorker && process.env[INDEX_ENV] !== undefined;
export const clusterWorkerIndex = () => Number(process.env[INDEX_ENV] ?? 0);

/**
 * The primary: shared state first, then the workers; resolves with the bootstrap key (if this start
 * made one) once every worker listens, and stops them all (then the database) on SIGTERM/SIGINT.
 */
export async function runPrimary(
  config: Config,
  workers: number,
  onBootstrapKey: (key: string) => void,
): Promise<void> {
  loadKeyring(config); // creates the master key file now, not in N workers at once
  const embedded = config.databaseUrl ? undefined : await openEmbeddedDataDir(config.dataDir);
  const socketDir = embedded?.database.poolOptions.host;
  const db = await openDatabase(config, { embeddedSocketDir: socketDir });
  try {
    await db.migrate();
    await upsertBuiltInConnectors(db);
    const bootstrap = await bootstrapDefaultTenant(db);
    if (bootstrap) onBootstrapKey(bootstrap.adminKey);
  } finally {
    await db.close();
  }

  const counters = createMemoryStore();
  // Asks every worker for its metrics (prom-client's cluster protocol) and merges them by each
  // metric's aggregator: a scrape answered by any worker shows the whole cluster.
  const metrics = new AggregatorRegistry();
  const members = new Map<number, Worker>();
  let stopping = false;

  function fork(index: number): void {
    const worker = cluster.fork({
      [INDEX_ENV]: String(index),
      ...(socketDir ? { [SOCKET_ENV]: socketDir } : {}),
    });
    members.set(index, worker);
    worker.on('message', (message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.krx === 'rl') {
        let reply: ClusterMessage;
        try {
          reply = {
            krx: 'rl-result',
            id: message.id,
            result: counters.consumeSync(message.requests, message.points),
          };
        } catch (error) {
          reply = { krx: 'rl-result', id: message.id, error: String(error) };
        }
        if (worker.isConnected()) worker.send(reply);
      } else if (message.krx === 'metrics') {
        const reply = (answer: { text: string } | { error: string }) => {
          if (worker.isConnected()) worker.send({ krx: 'metrics-result', id: message.id, ...answer });
        };
        metrics.clusterMetrics().then(
          (text) => reply({ text }),
          (error: unknown) => reply({ error: String(error) }),
        );
      } else if (message.krx === 'event') {
        for (const other of members.values())
          if (other !== worker && other.isConnected()) other.send(message);
      }
    });
    worker.on('exit', (code, signal) => {
      if (members.get(index) === worker) members.delete(index);
      if (stopping) return;
      process.stderr.write(`kryonix: worker ${index} exited (${signal ?? code}); starting a new one\n`);
      setTimeout(() => fork(index), 1000).unref();
    });
  }
  for (let index = 0; index < workers; index++) fork(index);

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const exits = [...members.values()].map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (worker.isDead()) return resolve();
          worker.once('exit', () => resolve());
          worker.process.kill('SIGTERM');
          setTimeout(() => worker.process.kill('SIGKILL'), 30_000).unref();
        }),
    );
    await Promise.all(exits);
    await counters.close();
    await embedded?.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

/**
 * A worker's link to its primary: the database socket, the IPC counter store, the event relay and
 * the cluster-wide metrics.
 */
export function clusterMember(): ClusterMember {
  const primary = primaryLink();
  // Constructing one installs prom-client's listener through which this worker answers the primary;
  // until the platform's registry exists it answers with no metrics rather than not at all (the
  // primary would wait 5 s for it, and fail the scrape).
  AggregatorRegistry.setRegistries([]);
  new AggregatorRegistry();
  return {
    embeddedSocketDir: process.env[SOCKET_ENV] || undefined,
    counterStore: ipcCounterStore(primary),
    transport: ipcEventTransport(),
    clusterMetrics(registry) {
      AggregatorRegistry.setRegistries([registry]);
      return async () => {
        const reply = await primary.ask({ krx: 'metrics' });
        return reply.krx === 'metrics-result' ? (reply.text ?? '') : '';
      };
    },
  };
}

/** Requests to the primary, each answered by its id; all fail once the primary is gone. */
function primaryLink() {
  let nextId = 0;
  const pending = new Map<number, { resolve(reply: PrimaryReply): void; reject(error: Error): void }>();
  let gone: Error | undefined;
  process.on('message', (message: unknown) => {
    if (!isClusterMessage(message) || (message.krx !== 'rl-result' && message.krx !== 'metrics-result'))
      return;
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error === undefined) waiter.resolve(message);
    else waiter.reject(new Error(message.error));
  });
  const failAll = (error: Error) => {
    gone = error;
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  };
  process.on('disconnect', () => failAll(new Error('the cluster primary is gone')));
  return {
    ask(request: Unnumbered<PrimaryRequest>): Promise<PrimaryReply> {
      if (gone) return Promise.reject(gone);
      return new Promise<PrimaryReply>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve, reject });
        process.send?.({ ...request, id } as ClusterMessage, undefined, {}, (error) => {
          if (!error) return;
          pending.delete(id);
          reject(error);
        });
      });
    },
    close: () => failAll(new Error('closed')),
  };
}

/** Rate-limit checks answered by the primary's one memory store (exact across workers). */
function ipcCounterStore(primary: ReturnType<typeof primaryLink>): CounterStore {
  return {
    // The limiter falls back to counting in this process when a check fails.
    async consume(requests, points) {
      const reply = await primary.ask({ krx: 'rl', requests, points });
      if (reply.krx !== 'rl-result' || !reply.result)
        throw new Error('rate limit check failed in the primary');
      return reply.result;
    },
    async close() {
      primary.close();
    },
  };
}

/** Configuration-change events to and from the other workers, relayed by the primary. */
function ipcEventTransport(): EventTransport {
  let receive: ((event: PlatformEvent) => void) | undefined;
  const onMessage = (message: unknown) => {
    if (isClusterMessage(message) && message.krx === 'event') receive?.(message.event);
  };
  process.on('message', onMessage);
  return {
    async broadcast(event) {
      // Traffic events stay where they happened, as across nodes (see event-transport.ts).
      if (SHARED_EVENT_TYPES.has(event.type) && process.connected)
        process.send?.({ krx: 'event', event } satisfies ClusterMessage);
    },
    onRemote(handler) {
      receive = handler;
    },
    async close() {
      process.off('message', onMessage);
    },
  };
}
