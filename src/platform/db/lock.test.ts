import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.js';

it('refuses a second owner while the first lives, and takes over a stale lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-lock-'));
  const lockFile = path.join(dir, 'kryonix.lock');
  // A live foreign owner: our parent process (alive for the whole test).
  fs.writeFileSync(lockFile, String(process.ppid));
  expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);

  // A dead owner: a process that has already exited.
  const exited = spawnSync(process.execPath, ['-e', '0']);
  fs.writeFileSync(lockFile, String(exited.pid));
  const lock = lockDataDir(dir);
  expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
  lock.release();
  expect(fs.existsSync(lockFile)).toBe(false);
});
