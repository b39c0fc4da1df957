/**
 * Gateway throughput and latency as ratios to baselines measured in the same run, against one local
 * 200-byte JSON upstream:
 *   direct            autocannon → upstream
 *   minimal proxy     autocannon → node:http + undici Pool → upstream (the Node ceiling here)
 *   gateway           autocannon → kryonix /api/v1/proxy with API-key auth, a rate limit that does not
 *                     trigger, execution records on and metrics recording → upstream
 *   gatewayWorkers    the same through `kryonix start --workers 2` (node:cluster; the primary serves
 *                     the embedded database and keeps the rate-limit counters)
 * The load generator and the upstream share core 0; the proxy under test gets core 1 (taskset), in
 * interleaved rounds; medians are reported. The 2-worker gateway gets both cores (0,1): on a 2-core
 * machine that is the only way for a second process to add anything, and it shares core 0 with the
 * load generator. Ends with one line of JSON. BENCH_WORKERS=0 skips the cluster.
 *
 * The embedded database (PGlite) runs in a worker thread of the gateway process, so on the proxy's
 * core: its share of each call (the batched execution records) is in the gateway figure.
 * BENCH_DATABASE_URL=postgres://... adds `gatewayPostgres`, the same gateway on PostgreSQL (a scratch
 * database created and dropped on that server, another process, not pinned), for comparison.
 *
 * Each target also reports `cpuUs`, the CPU time its server process(es) spent per request (Linux
 * /proc, all threads and child processes). On a machine shared with other work, requests/s follow
 * whatever CPU the scheduler leaves each round, while CPU per request barely moves:
 * `gatewayVsMinimalCpu` (minimal proxy's cpuUs / gateway's) is the requests/s ratio the two would
 * reach each on a core of its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { createRecorder } from '../src/monitoring/recorder.js';
import { createEventBus } from '../src/platform/events.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const POSTGRES = process.env.BENCH_DATABASE_URL;
const root = path.resolve(import.meta.dirname, '..');
const children: ChildProcess[] = [];

function launch(
  core: number | string,
  args: string[],
  env: Record<string, string> = {},
  ready = /listening (\d+)|Server listening at http:\/\/127\.0\.0\.1:(\d+)/,
) {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  return new Promise<{ port: number; pid: number; output: () => string }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = output.match(ready);
      if (!match) return;
      // Stop collecting: the server's own logs keep flowing and are not part of the measurement.
      child.stdout!.off('data', onData).resume();
      child.stderr!.off('data', onData).resume();
      resolve({ port: Number(match[1] ?? match[2] ?? 0), pid: child.pid!, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${output}`)));
  });
}

async function waitUntilUp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} never became ready`);
}

/** A fresh database on the PostgreSQL server at `serverUrl`, dropped by `drop()`. */
async function scratchDatabase(serverUrl: string) {
  const name = `krx_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A port free right now, so the gateway can run with request logging at any level. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** CPU clock ticks used so far by a process (all its threads) and its child processes (Linux). */
function cpuTicks(pid: number): number {
  try {
    // utime and stime: fields 14 and 15, counted after the parenthesised command name.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]);
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      const kids = fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const kid of kids ? kids.split(' ') : []) ticks += cpuTicks(Number(kid));
    }
    return ticks;
  } catch {
    return 0; // gone meanwhile
  }
}

const cpuMicros = (pid: number) => cpuTicks(pid) * 10_000; // USER_HZ is 100 on Linux

async function load(url: string, pid: number, headers: Record<string, string> = {}) {
  const cpuBefore = cpuMicros(pid);
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    pipelining: 1,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpuUs = (cpuMicros(pid) - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, cpuUs };
}

/**
 * CPU per gateway call spent recording its metrics (issue 7: recording must not measurably slow a call):
 * the same `api.call.success` events published on a bus with and without the recorder subscribed,
 * in this process; the difference per event, best of 5 to shed the machine's noise.
 */
function metricsRecordingCpuUs(events = 200_000): number {
  const publishAll = (withRecorder: boolean) => {
    const bus = createEventBus();
    const recorder = withRecorder ? createRecorder(bus) : undefined;
    const start = process.cpuUsage();
    for (let i = 0; i < events; i++) {
      bus.publish('api.call.success', {
        tenantId: 't',
        connectionId: `c${i % 50}`,
        executionId: 'e',
        executionType: 'proxy',
        statusCode: 200,
        durationMs: 1 + (i % 40),
        bytes: 200,
        cacheStatus: 'BYPASS',
      });
    }
    const used = process.cpuUsage(start);
    recorder?.close();
    return (used.user + used.system) / events;
  };
  const samples = Array.from({ length: 5 }, () => publishAll(true) - publishAll(false));
  return Math.max(0, Math.min(...samples));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const tsx = ['--import', 'tsx'];
  const upstream = await launch(0, [...tsx, 'bench/support/json-upstream.ts']);
  const upstreamUrl = `http://127.0.0.1:${upstream.port}`;
  const minimal = await launch(1, [...tsx, 'bench/support/minimal-proxy.ts', upstreamUrl]);

  const dataDirs: string[] = [];
  // BENCH_PROFILE=dir writes a V8 CPU profile of the gateway there, for finding what to make faster.
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];

  /** A kryonix with its own data directory, a bench connection and its admin key. */
  async function startGateway(
    cores: number | string,
    args: string[] = [],
    nodeFlags: string[] = [],
    databaseUrl = '',
  ) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-bench-'));
    dataDirs.push(dataDir);
    const port = await freePort();
    const launched = await launch(
      cores,
      [...nodeFlags, 'dist/cli.js', 'start', ...args],
      {
        KRYONIX_DATA_DIR: dataDir,
        // Embedded unless asked otherwise, whatever the shell running the bench has set.
        DATABASE_URL: databaseUrl,
        REDIS_URL: '',
        API_GATEWAY_PORT: String(port),
        KRYONIX_HOST: '127.0.0.1',
        // Per-request access logs are on by default (info); BENCH_LOG_LEVEL=warn measures without them.
        API_LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
        // A limit far above what the run can reach: checked on every call, never triggered.
        RATE_LIMIT_MAX_REQUESTS: '100000000',
        RATE_LIMIT_WINDOW_MS: '60000',
      },
      /store it now\): krx_/,
    );
    // The bootstrap key is printed before the server listens.
    const key = launched.output().match(/krx_\S+/)![0];
    const url = `http://127.0.0.1:${port}`;
    await waitUntilUp(`${url}/health/ready`);
    const created = await fetch(`${url}/api/integrations/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        connectorId: 'rest',
        name: 'bench',
        config: { baseUrl: upstreamUrl },
        authConfig: { type: 'bearer' },
        credentials: { token: 'bench-token-123456' },
      }),
    });
    const connection = (await created.json()) as { id: string };
    return () =>
      load(`${url}/api/v1/proxy/${connection.id}/item`, launched.pid, { authorization: `Bearer ${key}` });
  }

  const gateway = await startGateway(1, [], profile);
  const targets: Record<string, () => ReturnType<typeof load>> = {
    direct: () => load(`${upstreamUrl}/item`, upstream.pid),
    minimalProxy: () => load(`http://127.0.0.1:${minimal.port}/proxy/item`, minimal.pid),
    gateway,
  };
  if (WORKERS > 1) {
    targets.gatewayWorkers = await startGateway('0,1', ['--workers', String(WORKERS)]);
    await targets.gatewayWorkers(); // warm-up
  }
  const postgres = POSTGRES ? await scratchDatabase(POSTGRES) : undefined;
  if (postgres) {
    targets.gatewayPostgres = await startGateway(1, [], [], postgres.url);
    await targets.gatewayPostgres(); // warm-up
  }
  await targets.gateway(); // warm-up: JIT, pools, caches
  const runs: Record<string, Array<Awaited<ReturnType<typeof load>>>> = Object.fromEntries(
    Object.keys(targets).map((name) => [name, []]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, run] of Object.entries(targets)) runs[name].push(await run());
  }
  const figures = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [
      name,
      {
        rps: Math.round(median(list.map((r) => r.rps))),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        cpuUs: Math.round(median(list.map((r) => r.cpuUs))),
      },
    ]),
  );
  const ratios = {
    gatewayVsMinimalRps: Number((figures.gateway.rps / figures.minimalProxy.rps).toFixed(3)),
    gatewayVsMinimalP99: Number((figures.gateway.p99 / figures.minimalProxy.p99).toFixed(3)),
    gatewayVsDirectRps: Number((figures.gateway.rps / figures.direct.rps).toFixed(3)),
    gatewayVsMinimalCpu: Number((figures.minimalProxy.cpuUs / figures.gateway.cpuUs).toFixed(3)),
    metricsShareOfGatewayCpu: Number((metricsRecordingCpuUs() / figures.gateway.cpuUs).toFixed(4)),
    ...(figures.gatewayWorkers
      ? { workersVsOneRps: Number((figures.gatewayWorkers.rps / figures.gateway.rps).toFixed(3)) }
      : {}),
    ...(figures.gatewayPostgres
      ? {
          postgresVsMinimalRps: Number((figures.gatewayPostgres.rps / figures.minimalProxy.rps).toFixed(3)),
          postgresVsMinimalP99: Number((figures.gatewayPostgres.p99 / figures.minimalProxy.p99).toFixed(3)),
          // Without the PostgreSQL server's own CPU, which is another process.
          postgresVsMinimalCpu: Number(
            (figures.minimalProxy.cpuUs / figures.gatewayPostgres.cpuUs).toFixed(3),
          ),
        }
      : {}),
  };
  process.stdout.write(
    `${JSON.stringify({ bench: 'gateway', seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, workers: WORKERS, ...figures, ratios })}\n`,
  );
  for (const dataDir of dataDirs) fs.rmSync(dataDir, { recursive: true, force: true });
  await postgres?.drop();
}

main()
  .catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.stack : error}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGINT');
  });
