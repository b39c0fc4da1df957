/**
 * The slug of an inbound webhook URL is its secret: the real `kryonix start`, logging at debug, receives
 * accepted, rejected and unroutable requests on it, and neither its log nor a problem document carries
 * more than the slug's first 4 characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signForEndpoint } from '../src/webhooks/signing/index.js';
import { exitOf, spawnCli, waitForOutput } from './support/cli.js';
import { call } from './support/platform.js';
import { leaseStore, type StoreLease } from './support/stores.js';

const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

describe('inbound webhook slugs stay out of logs', () => {
  let lease: StoreLease;
  beforeAll(async () => {
    lease = await leaseStore('pglite');
  });
  afterAll(async () => {
    await lease?.release();
  });

  it('logs and answers /webhooks/<first 4 characters>… only', async () => {
    const child = spawnCli(['start'], {
      ...lease.env,
      API_LOG_LEVEL: 'debug',
      KRYONIX_HOST: '127.0.0.1',
      API_GATEWAY_MAX_PAYLOAD_SIZE: '4096',
    });
    try {
      const [, baseUrl] = await waitForOutput(child, LISTENING, 120_000);
      const [, key] = await waitForOutput(child, /store it now\): (krx_\S+)/, 120_000);
      const endpoint = await call(baseUrl, 'POST', '/api/integrations/webhooks/endpoints', {
        key,
        body: {
          name: 'logged',
          authenticationType: 'github',
          secretKey: 'log-secret',
          allowedMethods: ['POST'],
        },
      });
      expect(endpoint.status).toBe(201);
      const url: string = endpoint.body.url;
      const slug = url.slice('/webhooks/'.length);
      expect(slug.length).toBeGreaterThan(20);

      const body = JSON.stringify({ hello: 'world' });
      const signed = signForEndpoint({ type: 'github', secrets: ['log-secret'] }, { body });
      const post = (path: string, headers: Record<string, string>, payload = body) =>
        fetch(`${baseUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: payload,
        });
      expect((await post(url, signed)).status).toBe(200);
      expect((await post(`${url}?token=x`, signed)).status).toBe(200);
      const problems = [
        await post(url, { 'x-hub-signature-256': 'sha256=00' }), // 401
        await fetch(`${baseUrl}${url}`, { method: 'PUT', body }), // 405
        await post(url, signed, 'x'.repeat(10_000)), // 413
        await post(`${url}/deeper`, signed), // 404: no such route
      ];
      expect(problems.map((response) => response.status)).toEqual([401, 405, 413, 404]);
      for (const response of problems) {
        const text = await response.text();
        expect(text).not.toContain(slug);
        expect(text).toContain(`/webhooks/${slug.slice(0, 4)}…`);
      }

      child.kill('SIGTERM');
      expect(await exitOf(child)).toBe(0);
      const output = child.output();
      expect(output).toContain(`/webhooks/${slug.slice(0, 4)}…`); // the access log is there, shortened
      expect(output).not.toContain(slug.slice(0, 12));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
