/**
 * `kryonix start --workers 2` with the embedded database and no Redis: the primary serves PGlite to
 * both workers and keeps the rate-limit counters, so a limit is exact across the workers; a
 * configuration change made through one worker reaches the other's cache; /metrics on any worker
 * shows the whole cluster; SIGTERM stops them all and releases the data directory.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startUpstream, type UpstreamFake } from './fakes/upstream.js';
import { exitOf, spawnCli, waitForOutput } from './support/cli.js';
import { expectValidExposition } from './support/prometheus.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** One request on a connection of its own, so the cluster spreads them over its workers. */
function send(url: string, key: string, init: RequestInit = {}) {
  return fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${key}`, connection: 'close', ...(init.headers ?? {}) },
  });
}

let upstream: UpstreamFake;
let dataDir: string;
let cli: ReturnType<typeof spawnCli>;
let base: string;
let key: string;

beforeAll(async () => {
  upstream = await startUpstream();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-cluster-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cli = spawnCli(['start', '--workers', '2'], {
    KRYONIX_DATA_DIR: dataDir,
    API_GATEWAY_PORT: String(port),
    KRYONIX_HOST: '127.0.0.1',
    API_LOG_LEVEL: 'warn',
    KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
    RATE_LIMIT_MAX_REQUESTS: '12',
    RATE_LIMIT_WINDOW_MS: '3600000',
  });
  key = (await waitForOutput(cli, /store it now\): (krx_\S+)/, 60_000))[1];
  for (let i = 0; i < 400; i++) {
    const ready = await fetch(`${base}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}, 90_000);

afterAll(async () => {
  if (cli && cli.exitCode === null) {
    cli.kill('SIGKILL');
    await exitOf(cli);
  }
  await upstream?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('serves from two workers sharing the embedded database, with exact rate limits', async () => {
  // Writes through both workers at once: the embedded server shares its session safely.
  const created = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      send(`${base}/api/integrations/connections`, key, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          connectorId: 'rest',
          name: `cluster-${i}`,
          config: { baseUrl: `${upstream.url}/base`, retry: { attempts: 0 } },
          authConfig: { type: 'none' },
        }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } })),
    ),
  );
  expect(created.map((c) => c.status)).toEqual(Array(8).fill(201));
  const listed = (await (await send(`${base}/api/integrations/connections?limit=100`, key)).json()) as {
    items: unknown[];
  };
  expect(listed.items).toHaveLength(8);

  // The default limit (12 per hour per key) holds across both workers: the 8 admin calls above are
  // not gateway calls, so 12 proxied calls pass and the rest are refused.
  const id = created[0].body.id;
  const statuses = await Promise.all(
    Array.from({ length: 30 }, () => send(`${base}/api/v1/proxy/${id}/echo`, key).then((r) => r.status)),
  );
  expect(statuses.filter((s) => s === 200)).toHaveLength(12);
  expect(statuses.filter((s) => s === 429)).toHaveLength(18);
  expect(upstream.hits.get('/echo')).toBe(12);

  // A scrape lands on whichever worker accepts it, and each answers for the whole cluster: the 12
  // calls the two workers served between them, every time.
  const proxied2xx = (text: string) =>
    text
      .split('\n')
      .filter(
        (line) =>
          line.startsWith('kryonix_gateway_requests_total{') &&
          line.includes(`connection_id="${id}"`) &&
          line.includes('status_class="2xx"'),
      )
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  for (let scrape = 0; scrape < 6; scrape++) {
    const answer = await send(`${base}/metrics`, key);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(proxied2xx(text)).toBe(12);
    expectValidExposition(text);
    // Each series once: the workers' samples are merged, not listed side by side.
    const series = text.split('\n').filter((line) => line && !line.startsWith('#'));
    expect(new Set(series.map((line) => line.slice(0, line.lastIndexOf(' ')))).size).toBe(series.length);
  }
}, 60_000);

it('drops a changed connection from every worker and stops cleanly on SIGTERM', async () => {
  const created = await send(`${base}/api/integrations/connections`, key, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      connectorId: 'rest',
      name: 'cluster-paused',
      config: { baseUrl: `${upstream.url}/base` },
      authConfig: { type: 'none' },
    }),
  });
  const { id } = (await created.json()) as { id: string };
  // Every worker resolves (and caches) the connection; the rate limit answers 429 after that, which
  // is fine: only the status of the connection matters here.
  await Promise.all(Array.from({ length: 6 }, () => send(`${base}/api/v1/proxy/${id}/echo`, key)));
  const patched = await send(`${base}/api/integrations/connections/${id}`, key, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'inactive' }),
  });
  expect(patched.status).toBe(200);
  const after = await Promise.all(
    Array.from({ length: 6 }, () => send(`${base}/api/v1/proxy/${id}/echo`, key).then((r) => r.status)),
  );
  // 409: the connection is inactive, on whichever worker answered (none kept its cached copy).
  expect(after).toEqual(Array(6).fill(409));

  cli.kill('SIGTERM');
  expect(await exitOf(cli)).toBe(0);
  expect(fs.existsSync(path.join(dataDir, 'kryonix.lock'))).toBe(false);
}, 60_000);
