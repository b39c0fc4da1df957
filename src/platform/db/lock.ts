/**
 * PGlite has no lock of its own: two processes opening one data directory corrupt it. This lock file
 * (holding the owner's PID) makes a second `kryonix start` on the same directory refuse instead.
 * A lock left by a process that no longer exists (kill -9) is taken over.
 *
 * The lock file never exists without its PID: it is written under a private name and hard-linked
 * into place, which fails atomically when the lock is taken. (Created empty and then written, a second
 * start in between read '' as stale, deleted it, and both ran.)
 *
 * The holder rechecks its lock every few seconds, as PostgreSQL's postmaster does its postmaster.pid:
 * if the directory was removed (or the lock replaced) while running, a new `kryonix start` may already
 * be initialising a database at the same path, and this process, writing by path, would corrupt it.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export class DataDirLockedError extends Error {
  constructor(
    readonly lockPath: string,
    /** Undefined while the owner is still writing its lock (only locks of older versions). */
    readonly ownerPid: number | undefined,
  ) {
    super(
      `the data directory ${path.dirname(lockPath)} is in use by ${ownerPid ? `process ${ownerPid}` : 'another process'}; ` +
        'stop it first, or set KRYONIX_DATA_DIR to another directory',
    );
    this.name = 'DataDirLockedError';
  }
}

/**
 * How long a lock file without a PID counts as held. Ours always hold one; an older version's could
 * be empty for the instant between creating and writing it, or forever if it died right there.
 */
const UNWRITTEN_LOCK_GRACE_MS = 10_000;

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's owner and identity, or undefined when it is gone. */
function readLock(lockPath: string): { pid: number | undefined; ino: number; mtimeMs: number } | undefined {
  try {
    const fd = fs.openSync(lockPath, 'r');
    try {
      const { ino, mtimeMs } = fs.fstatSync(fd);
      const text = fs.readFileSync(fd, 'utf8').trim();
      const pid = /^\d+$/.test(text) ? Number(text) : undefined;
      return { pid: pid && pid > 0 ? pid : undefined, ino, mtimeMs };
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

type LockState = NonNullable<ReturnType<typeof readLock>>;

/** Same file: an inode number alone is not enough, a deleted file's is reused at once. */
function sameLock(a: LockState | undefined, b: LockState): boolean {
  return a !== undefined && a.ino === b.ino && a.pid === b.pid && a.mtimeMs === b.mtimeMs;
}

/**
 * Removes the lock file only if it is still the stale one we judged: renamed aside first, atomically,
 * so two processes taking over one stale lock cannot delete each other's fresh lock.
 */
function removeStale(lockPath: string, stale: LockState): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else took it over
    throw error;
  }
  if (!sameLock(readLock(aside), stale)) {
    // We moved a lock taken a moment ago by another process: put it back (it is theirs).
    try {
      fs.linkSync(aside, lockPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  fs.rmSync(aside, { force: true });
}

export interface DataDirLock {
  release(): void;
}

/** How often the holder checks that its lock file is still there and still its own. */
const LOCK_CHECK_MS = 2000;

/** `onLost` runs once if the lock file disappears or stops being ours while held. */
export function lockDataDir(dataDir: string, onLost?: () => void, checkEveryMs = LOCK_CHECK_MS): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dataDir, 'kryonix.lock');
  const pending = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(pending, String(process.pid), { mode: 0o600 });
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(pending, lockPath);
        const mine = readLock(lockPath);
        let released = false;
        const stillMine = () => {
          try {
            return sameLock(readLock(lockPath), mine!);
          } catch {
            return false; // unreadable: no longer a lock we can vouch for
          }
        };
        const watch = onLost
          ? setInterval(() => {
              if (stillMine()) return;
              clearInterval(watch);
              onLost();
            }, checkEveryMs).unref()
          : undefined;
        return {
          release() {
            if (released) return;
            released = true;
            clearInterval(watch);
            // Never remove a lock that is no longer ours (taken over after we were thought dead).
            if (mine && sameLock(readLock(lockPath), mine)) fs.rmSync(lockPath, { force: true });
          },
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = readLock(lockPath);
      if (!owner) continue; // released meanwhile: try again
      if (owner.pid === undefined) {
        if (Date.now() - owner.mtimeMs < UNWRITTEN_LOCK_GRACE_MS)
          throw new DataDirLockedError(lockPath, undefined);
      } else if (owner.pid !== process.pid && processExists(owner.pid)) {
        throw new DataDirLockedError(lockPath, owner.pid);
      }
      removeStale(lockPath, owner); // its owner is gone
    }
    throw new Error(`could not take the lock ${lockPath}`);
  } finally {
    fs.rmSync(pending, { force: true });
  }
}
