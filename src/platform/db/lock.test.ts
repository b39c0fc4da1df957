import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'krx-lock-'));

it('refuses a second owner while the first lives, and takes over a stale lock', () => {
  const dir = tempDir();
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
  expect(fs.readdirSync(dir)).toEqual([]); // no temporary files left behind
});

it('treats a lock file still without its PID as held while it is young, as stale once it is old', () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'kryonix.lock');
  // The moment between an owner creating the file and writing its PID into it.
  fs.writeFileSync(lockFile, '');
  expect(() => lockDataDir(dir)).toThrow(/in use by another process/);
  expect(fs.readFileSync(lockFile, 'utf8')).toBe('');

  // An owner that died in that moment, long ago.
  const longAgo = new Date(Date.now() - 60_000);
  fs.utimesSync(lockFile, longAgo, longAgo);
  const lock = lockDataDir(dir);
  expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
  lock.release();
});

it('does not remove a lock another process took over after this one was thought gone', () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'kryonix.lock');
  const lock = lockDataDir(dir);
  fs.rmSync(lockFile);
  fs.writeFileSync(lockFile, String(process.ppid));
  lock.release();
  expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.ppid));
});

const LOCK_MODULE = fileURLToPath(new URL('./lock.ts', import.meta.url));

it('lets exactly one of many processes starting at once take the lock, the file always holding a PID', async () => {
  const dir = tempDir();
  const startAt = Date.now() + 1500;
  // Each contender waits for the same instant, tries once, reports, and holds what it got until told.
  const script = `
    import { lockDataDir } from ${JSON.stringify(LOCK_MODULE)};
    while (Date.now() < ${startAt}) {}
    let result;
    try { lockDataDir(${JSON.stringify(dir)}); result = 'locked'; }
    catch (error) { result = error.name === 'DataDirLockedError' ? 'refused' : 'error ' + error.message; }
    process.stdout.write(result + '\\n');
    process.stdin.on('data', () => process.exit(0));
  `;
  const contenders = Array.from({ length: 6 }, () =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const results = await Promise.all(
    contenders.map(
      (child) =>
        new Promise<string>((resolve) => {
          let output = '';
          child.stdout.on('data', (chunk) => {
            output += chunk;
            if (output.endsWith('\n')) resolve(output.trim());
          });
        }),
    ),
  );
  expect(results.filter((result) => result === 'locked')).toHaveLength(1);
  expect(results.filter((result) => result === 'refused')).toHaveLength(5);
  const owner = contenders[results.indexOf('locked')];
  expect(fs.readFileSync(path.join(dir, 'kryonix.lock'), 'utf8')).toBe(String(owner.pid));
  await Promise.all(
    contenders.map(
      (child) =>
        new Promise((resolve) => {
          child.once('exit', resolve);
          child.stdin.end('stop\n');
        }),
    ),
  );
}, 30_000);

it('tells its holder once when the lock file is removed or replaced, and not after release', async () => {
  const removed = tempDir();
  const lostRemoved: number[] = [];
  const first = lockDataDir(removed, () => lostRemoved.push(Date.now()), 20);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(lostRemoved).toEqual([]); // still there and ours
  fs.rmSync(removed, { recursive: true, force: true });
  await expect.poll(() => lostRemoved.length).toBe(1);
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(lostRemoved).toHaveLength(1);
  first.release();

  // Another process's lock at the same path (the directory made anew and locked by it).
  const replaced = tempDir();
  let lostReplaced = 0;
  const second = lockDataDir(replaced, () => lostReplaced++, 20);
  fs.rmSync(path.join(replaced, 'kryonix.lock'));
  fs.writeFileSync(path.join(replaced, 'kryonix.lock'), String(process.ppid));
  await expect.poll(() => lostReplaced).toBe(1);
  second.release();
  expect(fs.readFileSync(path.join(replaced, 'kryonix.lock'), 'utf8')).toBe(String(process.ppid));

  const released = tempDir();
  let lostReleased = 0;
  lockDataDir(released, () => lostReleased++, 20).release();
  fs.rmSync(released, { recursive: true, force: true });
  await new Promise((resolve) => setTimeout(resolve, 80));
  expect(lostReleased).toBe(0);
});
