/**
 * Webhook throughput, each figure beside its baseline measured in the same run:
 *   - outbound: events published on the platform bus → outbox rows → delivery worker → a local receiver,
 *     until every one arrived and every row is recorded `delivered` (durable), against a plain undici POST
 *     loop to the same receiver with the same concurrency (target ≥ 0.25 on PostgreSQL);
 *   - inbound: signed (GitHub preset) webhooks accepted per second (verify + store + 2xx), driven by
 *     autocannon, against a bare Fastify route answering 200 in the same process (target ≥ 0.3); without
 *     a delivery id, and `withDeliveryIds` (a fresh X-GitHub-Delivery each, so each is claimed for dedup).
 * Each baseline is measured right before and right after its figure and averaged, so a machine whose load
 * changes during the run skews the ratio less. Runs on PGlite, and on PostgreSQL too when DATABASE_URL is
 * set. Ends with one line of JSON.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pg from 'pg';
import { Agent, request } from 'undici';
import { loadConfig } from '../src/config.js';
import { createPlatform } from '../src/start.js';
import { signForEndpoint } from '../src/webhooks/signing/index.js';
import { startReceiver } from '../test/fakes/webhook-receiver.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const INBOUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const POSTGRES_URL = process.env.DATABASE_URL;

async function admin(baseUrl: string, key: string, method: string, route: string, body?: unknown) {
  const response = await fetch(`${baseUrl}/api/integrations${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${JSON.stringify(json)}`);
  return json as any;
}

async function plainLoop(url: string, total: number, concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency });
  const body = JSON.stringify({ type: 'test.event', timestamp: new Date().toISOString(), data: { n: 0 } });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const response = await request(url, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
          dispatcher: agent,
        });
        await response.body.dump();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await agent.close();
  return total / seconds;
}

async function bareFastify(): Promise<number> {
  const app = Fastify();
  app.post('/bare', async () => ({ received: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address() as { port: number };
  const result = await autocannon({
    url: `http://127.0.0.1:${address.port}/bare`,
    method: 'POST',
    connections: CONCURRENCY,
    duration: INBOUND_SECONDS,
    headers: { 'content-type': 'application/json' },
    body: '{"hello":"world"}',
  });
  await app.close();
  return result.requests.average;
}

async function runStore(store: 'pglite' | 'postgres') {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-bench-'));
  const env: Record<string, string> = {
    KRYONIX_DATA_DIR: dataDir,
    API_LOG_LEVEL: 'silent',
    API_GATEWAY_PORT: '0',
    KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
  };
  let database: string | undefined;
  if (store === 'postgres') {
    database = `krx_bench_${randomBytes(6).toString('hex')}`;
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`CREATE DATABASE ${database}`);
    await client.end();
    const url = new URL(POSTGRES_URL!);
    url.pathname = `/${database}`;
    env.DATABASE_URL = url.toString();
  }
  const platform = await createPlatform(loadConfig(env));
  await platform.app.listen({ host: '127.0.0.1', port: 0 });
  const baseUrl = `http://127.0.0.1:${(platform.app.server.address() as { port: number }).port}`;
  const key = platform.bootstrapKey!;
  const tenantId = (await platform.db.pool.query("SELECT id FROM tenants WHERE slug = 'default'")).rows[0].id;
  const receiver = await startReceiver({ record: false });
  let arrived = 0;
  const counting = await startCountingReceiver(() => arrived++);

  try {
    // Outbound
    await admin(baseUrl, key, 'POST', '/webhooks/subscriptions', {
      name: 'bench',
      targetUrl: `${counting.url}/bench`,
      events: ['test.event'],
      timeoutSeconds: 10,
    });
    const plainBefore = await plainLoop(`${counting.url}/plain`, EVENTS, CONCURRENCY);
    const started = performance.now();
    for (let n = 0; n < EVENTS; n++) platform.events.publish('test.event', { tenantId, n });
    const deadline = Date.now() + 300_000;
    while (arrived < EVENTS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    const receivedSeconds = (performance.now() - started) / 1000;
    for (;;) {
      const { rows } = await platform.db.pool.query(
        "SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered' AND event_type = 'test.event'",
      );
      if (rows[0].n >= EVENTS || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const durableSeconds = (performance.now() - started) / 1000;
    const plain = (plainBefore + (await plainLoop(`${counting.url}/plain`, EVENTS, CONCURRENCY))) / 2;
    const outbound = EVENTS / durableSeconds;

    // Inbound
    const endpoint = await admin(baseUrl, key, 'POST', '/webhooks/endpoints', {
      name: 'bench-in',
      authenticationType: 'github',
      secretKey: 'bench-secret',
      rateLimit: 100_000_000,
    });
    const body = JSON.stringify({ action: 'opened', number: 1 });
    const headers = signForEndpoint({ type: 'github', secrets: ['bench-secret'] }, { body });
    const bareBefore = await bareFastify();
    const signedLoad = (extra: Record<string, unknown> = {}) =>
      autocannon({
        url: `${baseUrl}${endpoint.url}`,
        method: 'POST',
        connections: CONCURRENCY,
        duration: INBOUND_SECONDS,
        headers: { 'content-type': 'application/json', ...headers },
        body,
        ...extra,
      });
    const inboundResult = await signedLoad();
    // As GitHub really sends them: each with its own X-GitHub-Delivery, so each is also claimed for dedup.
    const withIdsResult = await signedLoad({
      requests: [
        {
          setupRequest: (request: { headers?: Record<string, string> }) => ({
            ...request,
            headers: { ...request.headers, 'x-github-delivery': randomUUID() },
          }),
        },
      ],
    });
    const bare = (bareBefore + (await bareFastify())) / 2;
    const inbound = inboundResult.requests.average;
    const inboundWithIds = withIdsResult.requests.average;
    return {
      outbound: {
        deliveriesPerSecond: Math.round(outbound),
        receivedPerSecond: Math.round(EVENTS / receivedSeconds),
        plainLoopPerSecond: Math.round(plain),
        ratio: Number((outbound / plain).toFixed(3)),
      },
      inbound: {
        acceptedPerSecond: Math.round(inbound),
        non2xx: inboundResult.non2xx,
        bareFastifyPerSecond: Math.round(bare),
        ratio: Number((inbound / bare).toFixed(3)),
        withDeliveryIds: {
          acceptedPerSecond: Math.round(inboundWithIds),
          non2xx: withIdsResult.non2xx,
          ratio: Number((inboundWithIds / bare).toFixed(3)),
        },
      },
    };
  } finally {
    await receiver.close();
    await counting.close();
    await platform.close();
    if (database) {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** A receiver that only counts /bench arrivals (the shared fake records everything, which costs memory). */
async function startCountingReceiver(onBench: () => void) {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/bench') onBench();
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const results: Record<string, unknown> = { events: EVENTS, concurrency: CONCURRENCY };
results.pglite = await runStore('pglite');
if (POSTGRES_URL) results.postgres = await runStore('postgres');
console.log(JSON.stringify(results));
process.exit(0);
