/**
 * Scheduled jobs (croner) that run on exactly one node at a time. Before a run the scheduler takes a
 * Postgres session advisory lock named after the job with `pg_try_advisory_lock` on a session of its
 * own; a node that does not get it skips that run. The lock is released when the run ends (or when the
 * session dies with its node). A run still going when the next one is due is not started twice: the
 * local guard skips it, and the advisory lock stops the other nodes.
 *
 * Embedded mode has one database session shared by the whole process and no second process (the data
 * directory is locked), so there the guard is per database handle in this process.
 */
import { Cron } from 'croner';
import type pg from 'pg';
import type { Database } from './db/client.js';

export interface JobSpec {
  name: string;
  /** A cron pattern (croner syntax, seconds optional) or a period in ms. */
  schedule: string | { everyMs: number };
  run(signal: AbortSignal): Promise<void>;
}

export type RunOutcome = 'ran' | 'failed' | 'skipped_running' | 'skipped_locked' | 'stopped';

export interface JobStatus {
  name: string;
  running: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastOutcome: RunOutcome | null;
  lastError: string | null;
  runs: number;
}

export interface Scheduler {
  add(job: JobSpec): void;
  start(): void;
  /** Runs a job now under the same single-runner rules (tests, admin). */
  runNow(name: string): Promise<RunOutcome>;
  status(): JobStatus[];
  stop(): Promise<void>;
}

interface Logger {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

/** Both halves of the two-integer advisory lock key: a namespace and a hash of the job name. */
const LOCK_NAMESPACE = 0x4b52_5831; // "KRX1"

function lockKey(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}

/** Embedded mode: jobs running in this process, per database. */
const embeddedRunning = new WeakMap<Database, Set<string>>();

export function createScheduler(db: Database, options: { log?: Logger } = {}): Scheduler {
  const jobs = new Map<string, { spec: JobSpec; status: JobStatus; timer?: Cron | NodeJS.Timeout }>();
  const running = new Map<string, Promise<RunOutcome>>();
  const abort = new AbortController();
  let session: pg.PoolClient | undefined;
  let sessionQueue: Promise<unknown> = Promise.resolve();
  let started = false;

  /** Queries on the lock session run one after another (a pg client allows one at a time anyway). */
  function onSession<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const next = sessionQueue.then(async () => {
      if (!session) {
        session = await db.pool.connect();
        // A broken session has released its locks with it; the next lock attempt opens a new one.
        session.on('error', () => {
          session?.release(true);
          session = undefined;
        });
      }
      return work(session);
    });
    sessionQueue = next.catch(() => {});
    return next;
  }

  async function acquire(name: string): Promise<boolean> {
    if (db.mode === 'embedded') {
      let set = embeddedRunning.get(db);
      if (!set) {
        set = new Set();
        embeddedRunning.set(db, set);
      }
      if (set.has(name)) return false;
      set.add(name);
      return true;
    }
    const result = await onSession((client) =>
      client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [
        LOCK_NAMESPACE,
        lockKey(name),
      ]),
    );
    return result.rows[0]?.ok === true;
  }

  async function release(name: string): Promise<void> {
    if (db.mode === 'embedded') {
      embeddedRunning.get(db)?.delete(name);
      return;
    }
    await onSession((client) =>
      client.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, lockKey(name)]),
    ).catch(() => {
      // The session is gone, and its locks with it.
    });
  }

  async function execute(entry: { spec: JobSpec; status: JobStatus }): Promise<RunOutcome> {
    const { spec, status } = entry;
    if (abort.signal.aborted) return 'stopped';
    let locked = false;
    try {
      locked = await acquire(spec.name);
    } catch (error) {
      options.log?.warn({ err: error, job: spec.name }, 'scheduler: could not take the job lock');
      return 'skipped_locked';
    }
    if (!locked) return 'skipped_locked';
    status.running = true;
    status.lastStartedAt = new Date().toISOString();
    status.runs++;
    let outcome: RunOutcome = 'ran';
    try {
      await spec.run(abort.signal);
      status.lastError = null;
    } catch (error) {
      outcome = 'failed';
      status.lastError = error instanceof Error ? error.message : String(error);
      options.log?.error({ err: error, job: spec.name }, 'scheduler: job failed');
    } finally {
      status.running = false;
      status.lastFinishedAt = new Date().toISOString();
      status.lastOutcome = outcome;
      await release(spec.name);
    }
    return outcome;
  }

  function trigger(name: string): Promise<RunOutcome> {
    const entry = jobs.get(name);
    if (!entry) return Promise.reject(new Error(`no job named ${name}`));
    // A run still going is not started twice on this node.
    if (running.has(name)) {
      entry.status.lastOutcome = 'skipped_running';
      return Promise.resolve('skipped_running');
    }
    const run = execute(entry).finally(() => running.delete(name));
    running.set(name, run);
    return run;
  }

  function schedule(entry: { spec: JobSpec; status: JobStatus; timer?: Cron | NodeJS.Timeout }): void {
    const fire = () => void trigger(entry.spec.name);
    if (typeof entry.spec.schedule === 'string') {
      // No croner `name`: names are process-wide, and two platforms in one process (tests) would clash.
      entry.timer = new Cron(entry.spec.schedule, { unref: true }, fire);
    } else {
      const timer = setInterval(fire, entry.spec.schedule.everyMs);
      timer.unref();
      entry.timer = timer;
    }
  }

  return {
    add(spec) {
      if (jobs.has(spec.name)) throw new Error(`job ${spec.name} is already scheduled`);
      const entry = {
        spec,
        status: {
          name: spec.name,
          running: false,
          lastStartedAt: null,
          lastFinishedAt: null,
          lastOutcome: null,
          lastError: null,
          runs: 0,
        },
      };
      jobs.set(spec.name, entry);
      if (started) schedule(entry);
    },
    start() {
      if (started) return;
      started = true;
      for (const entry of jobs.values()) schedule(entry);
    },
    runNow: trigger,
    status: () => [...jobs.values()].map((entry) => ({ ...entry.status })),
    async stop() {
      abort.abort();
      for (const entry of jobs.values()) {
        if (entry.timer instanceof Cron) entry.timer.stop();
        else if (entry.timer) clearInterval(entry.timer);
      }
      await Promise.allSettled([...running.values()]);
      await sessionQueue;
      session?.release();
      session = undefined;
    },
  };
}
