/**
 * A data directory removed under a running `kryonix start`: the embedded database of that process
 * stops at once instead of writing into whatever the path holds next. Before, the old process's
 * shutdown checkpoint landed in a new start's fresh database at the same path, which then never
 * started again ("Aborted()").
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { exitOf, spawnCli, waitForOutput } from './support/cli.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'krx-datadir-')), 'data');
const started: Array<ReturnType<typeof spawnCli>> = [];

async function start() {
  const port = await freePort();
  const cli = spawnCli(['start'], {
    KRYONIX_DATA_DIR: dataDir,
    API_GATEWAY_PORT: String(port),
    KRYONIX_HOST: '127.0.0.1',
    API_LOG_LEVEL: 'warn',
  });
  started.push(cli);
  const base = `http://127.0.0.1:${port}`;
  await expect
    .poll(
      () => {
        if (cli.exitCode !== null) throw new Error(`kryonix exited (${cli.exitCode}): ${cli.output()}`);
        return fetch(`${base}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBe(200);
  return { cli, base };
}

async function stop(cli: ReturnType<typeof spawnCli>) {
  cli.kill('SIGINT');
  return exitOf(cli);
}

afterAll(async () => {
  for (const cli of started) if (cli.exitCode === null) cli.kill('SIGKILL');
  fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
});

it('stops the embedded database of a process whose data directory was removed', async () => {
  const old = await start();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await waitForOutput(old.cli, /lock file of .* is gone or no longer ours/, 15_000);
  await expect
    .poll(
      () =>
        fetch(`${old.base}/health/ready`).then(
          (r) => r.status,
          () => 0,
        ),
      { timeout: 15_000 },
    )
    .toBe(503);

  // A new start at the same path, the old process stopping meanwhile: the new database survives.
  const fresh = await start();
  expect(await stop(old.cli)).toBe(0);
  expect(await stop(fresh.cli)).toBe(0);
  const again = await start();
  expect(await stop(again.cli)).toBe(0);
}, 180_000);
