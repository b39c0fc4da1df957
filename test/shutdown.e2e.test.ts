/**
 * SIGTERM on the real `kryonix start`: a request in flight (a proxied call to a slow upstream) is
 * answered in full, the process exits 0 soon after, and nothing listens any more.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { exitOf, spawnCli, waitForOutput } from './support/cli.js';
import { call } from './support/platform.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-shutdown-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

it('drains an in-flight request on SIGTERM, then exits 0', async () => {
  // The upstream holds each request for 1.5 s, telling the test when one has arrived.
  let arrived: () => void = () => {};
  const requestArrived = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  const upstream = http.createServer((_request, response) => {
    arrived();
    setTimeout(() => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ slow: 'done' }));
    }, 1500);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  const cli = spawnCli(['start'], {
    KRYONIX_DATA_DIR: dataDir,
    API_GATEWAY_PORT: '0',
    KRYONIX_HOST: '127.0.0.1',
    API_LOG_LEVEL: 'info',
    KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32',
  });
  try {
    const [, baseUrl] = await waitForOutput(cli, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    const [, key] = await waitForOutput(cli, /store it now\): (krx_\S+)/);
    const connection = await call(baseUrl, 'POST', '/api/integrations/connections', {
      key,
      body: {
        connectorId: 'rest',
        name: 'slow',
        config: { baseUrl: upstreamUrl },
        authConfig: { type: 'bearer' },
        credentials: { token: 'upstream-token' },
      },
    });
    expect(connection.status).toBe(201);

    const inFlight = call(baseUrl, 'GET', `/api/v1/proxy/${connection.body.id}/slow`, { key });
    await requestArrived;
    const signalledAt = Date.now();
    cli.kill('SIGTERM');

    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ slow: 'done' });
    expect(Date.now() - signalledAt).toBeGreaterThan(1000); // it waited for the upstream, not cut it
    // Promptly: the drained request's keep-alive connection held the process up to 72 s.
    const answeredAt = Date.now();
    expect(await exitOf(cli)).toBe(0);
    expect(Date.now() - answeredAt).toBeLessThan(10_000);
    expect(cli.output()).toMatch(/shutting down/);
    await expect(fetch(`${baseUrl}/health/live`)).rejects.toThrow(); // nobody listens any more
  } finally {
    if (cli.exitCode === null) cli.kill('SIGKILL');
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  }
}, 90_000);
