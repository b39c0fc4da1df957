import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, runCli, spawnCli, waitForOutput } from './support/cli.js';
import { call } from './support/platform.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-life-'));
const env = {
  KRYONIX_DATA_DIR: dataDir,
  API_GATEWAY_PORT: '0',
  API_LOG_LEVEL: 'info',
  KRYONIX_HOST: '127.0.0.1',
};
const LISTENING = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/;

afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('kryonix start on the embedded database', () => {
  it('prints the bootstrap key once, keeps data across restarts, refuses a second start, and stops cleanly', async () => {
    const first = spawnCli(['start'], env);
    const [, baseUrl] = await waitForOutput(first, LISTENING);
    const [, key] = await waitForOutput(first, /store it now\): (krx_\S+)/);

    const created = await call(baseUrl, 'POST', '/api/integrations/connections', {
      key,
      body: {
        connectorId: 'rest',
        name: 'kept',
        config: { baseUrl: 'https://example.com' },
        credentials: { token: 'abc' },
        authConfig: { type: 'bearer' },
      },
    });
    expect(created.status).toBe(201);
    expect(fs.statSync(path.join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);

    const second = await runCli(['start'], env);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/kryonix: the data directory .* is in use by process \d+/);
    expect(second.output.trim().split('\n')).toHaveLength(1);

    first.kill('SIGTERM');
    expect(await exitOf(first)).toBe(0);

    const again = spawnCli(['start'], env);
    const [, secondUrl] = await waitForOutput(again, LISTENING);
    expect(again.output()).not.toMatch(/krx_/);
    const read = await call(secondUrl, 'GET', `/api/integrations/connections/${created.body.id}`, { key });
    expect(read.status).toBe(200);
    expect(read.body.name).toBe('kept');
    again.kill('SIGINT');
    expect(await exitOf(again)).toBe(0);
  }, 90_000);

  it('re-encrypts every secret under a new master key with `keys rotate-master`', async () => {
    const keyFile = path.join(dataDir, 'master.key');
    const before = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    const rotated = await runCli(['keys', 'rotate-master'], env);
    expect(rotated.code, rotated.output).toBe(0);
    expect(rotated.output).toMatch(/re-encrypted 1 secrets under key \w+/);
    const after = JSON.parse(fs.readFileSync(keyFile, 'utf8'));
    expect(after.current).not.toBe(before.current);
    expect(Object.keys(after.keys)).toEqual([after.current]);

    // The platform still opens the credential: only the new key exists now.
    const { loadConfig } = await import('../src/config.js');
    const { createPlatform } = await import('../src/start.js');
    const platform = await createPlatform(loadConfig({ ...env, API_LOG_LEVEL: 'silent' }));
    try {
      const { rows } = await platform.db.pool.query(
        "SELECT id, tenant_id, credentials->>'kid' AS kid FROM connections",
      );
      expect(rows[0].kid).toBe(after.current);
      const { Sealer, loadKeyring, sealedBinding } = await import('../src/platform/crypto.js');
      const full = await platform.db.pool.query('SELECT credentials FROM connections WHERE id = $1', [
        rows[0].id,
      ]);
      const sealer = new Sealer(
        loadKeyring({
          encryptionKey: undefined,
          encryptionKeyPrevious: undefined,
          production: false,
          dataDir,
        }),
      );
      expect(
        sealer.open(full.rows[0].credentials, sealedBinding('connections', 'credentials', rows[0].id)),
      ).toEqual({ token: 'abc' });
    } finally {
      await platform.close();
    }
  }, 60_000);
});

describe('kryonix config', () => {
  it('prints the effective configuration with secrets masked', async () => {
    const result = await runCli(['config'], {
      ...env,
      API_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      DATABASE_URL: 'postgres://u:hunter2@db/kx',
    });
    expect(result.code).toBe(0);
    expect(result.output).toContain('API_ENCRYPTION_KEY=********');
    expect(result.output).toContain('DATABASE_URL=postgres://u:********@db/kx');
    expect(result.output).not.toContain('hunter2');
    expect(result.output).toContain('API_GATEWAY_PORT=0');
  });

  it('stops with one line naming a wrong variable', async () => {
    const result = await runCli(['start'], { ...env, API_GATEWAY_TIMEOUT: 'soon' });
    expect(result.code).toBe(1);
    expect(result.output.trim()).toBe('kryonix: API_GATEWAY_TIMEOUT: expected a whole number, got "soon"');
  });

  it('refuses production without a master key', async () => {
    const result = await runCli(['start'], { ...env, NODE_ENV: 'production' });
    expect(result.code).toBe(1);
    expect(result.output.trim()).toMatch(/^kryonix: API_ENCRYPTION_KEY: required when NODE_ENV=production/);
  });
});
