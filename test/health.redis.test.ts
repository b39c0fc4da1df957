/**
 * Readiness with REDIS_URL: `/health/ready` pings Redis and answers 503 naming it while Redis is away.
 * Redis is taken away by closing a TCP relay the platform reaches it through, never by stopping the
 * machine's shared Redis. A Redis unreachable at start-up stops `kryonix start` with one line.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support/cli.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';

const REDIS_URL = process.env.REDIS_URL;
const describeRedis = REDIS_URL ? describe : describe.skip;

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP relay to Redis that can be cut (every connection dropped, the port closed) and reopened. */
function redisRelay(target: URL) {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  return {
    get url() {
      const url = new URL(target);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    async open() {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        track(client);
        track(upstream);
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server?.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('kryonix start with an unreachable Redis', () => {
  it('stops with one line naming REDIS_URL instead of a stack trace', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-redis-down-'));
    try {
      const port = await closedPort();
      const result = await runCli(['start'], {
        KRYONIX_DATA_DIR: dataDir,
        API_GATEWAY_PORT: '0',
        KRYONIX_HOST: '127.0.0.1',
        API_LOG_LEVEL: 'warn',
        REDIS_URL: `redis://:hunter2@127.0.0.1:${port}`,
      });
      expect(result.code).toBe(1);
      const lines = result.output.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^kryonix: REDIS_URL: cannot connect to Redis at redis://:\\*+@127\\.0\\.0\\.1:${port}.*ECONNREFUSED`,
        ),
      );
      expect(result.output).not.toContain('hunter2');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describeRedis(`readiness with Redis${REDIS_URL ? '' : ' (skipped: REDIS_URL is not set)'}`, () => {
  const relay = redisRelay(new URL(REDIS_URL ?? 'redis://127.0.0.1:6379'));
  let t: TestPlatform;
  beforeAll(async () => {
    await relay.open();
    t = await startTestPlatform('pglite', { REDIS_URL: relay.url });
  });
  afterAll(async () => {
    await t?.close();
    await relay.cut();
  });

  const ready = () => call(t.baseUrl, 'GET', '/health/ready');

  it('is ready while Redis answers, 503 naming redis while it is away, and ready again when it is back', async () => {
    const up = await ready();
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });

    await relay.cut();
    const down = await ready();
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', checks: { database: 'ok', redis: 'failing' } });
    expect((await call(t.baseUrl, 'GET', '/health/live')).status).toBe(200);

    await relay.open(); // same port: the clients reconnect by themselves
    const back = await eventually(ready, (result) => result.status === 200);
    expect(back.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
  }, 60_000);
});
