/**
 * The file connector against a real SFTP server (ssh2, test/fakes/sftp.ts) and a local folder: list,
 * stat, read (text, base64, size cap), write, delete; password and key auth, host key pinning; no path
 * escapes (.., symbolic links), local roots only where the operator allows; the SSRF guard.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSftp, startFakeSftp } from './fakes/sftp.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: file', (store) => {
  let t: TestPlatform;
  let sftp: FakeSftp;
  let allowed: string;
  let outside: string;

  const connect = async (name: string, config: Record<string, unknown>, auth: Record<string, unknown>) => {
    const { password, privateKey, ...authConfig } = auth;
    const credentials = { ...(password ? { password } : {}), ...(privateKey ? { privateKey } : {}) };
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'file',
        name,
        config,
        authConfig,
        ...(Object.keys(credentials).length > 0 ? { credentials } : {}),
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const run = (id: string, action: string, input: unknown) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/${action}`, { key: t.adminKey, body: input });
  const test = (id: string) =>
    call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, { key: t.adminKey });
  const sftpConfig = (extra: Record<string, unknown> = {}) => ({
    mode: 'sftp',
    host: '127.0.0.1',
    port: sftp.port,
    hostKeySha256: sftp.hostKeySha256,
    ...extra,
  });
  const password = () => ({ type: 'basic', username: sftp.username, password: sftp.password });

  beforeAll(async () => {
    sftp = await startFakeSftp();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-file-test-'));
    allowed = path.join(base, 'allowed');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(allowed, 'tenant'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
    fs.symlinkSync(outside, path.join(allowed, 'tenant', 'escape'));
    process.env.KRYONIX_DANGEROUS_FILE_ROOTS = allowed;
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    delete process.env.KRYONIX_DANGEROUS_FILE_ROOTS;
    await t?.close();
    await sftp?.close();
    if (allowed) fs.rmSync(path.dirname(allowed), { recursive: true, force: true });
  });

  it('SFTP with a password and a pinned host key: write, list, stat, read, delete', async () => {
    const id = await connect('sftp', sftpConfig({ root: '/data' }), password());
    fs.mkdirSync(path.join(sftp.dir, 'data'));
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });

    const written = await run(id, 'write', {
      path: 'reports/2024/q1.csv',
      content: 'a,b\n1,2\n',
      createDirs: true,
    });
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect(written.body.data).toEqual({ path: 'reports/2024/q1.csv', size: 8 });
    expect(fs.readFileSync(path.join(sftp.dir, 'data/reports/2024/q1.csv'), 'utf8')).toBe('a,b\n1,2\n');

    const binary = Buffer.from([0, 1, 2, 250, 255]);
    await run(id, 'write', {
      path: '/reports/blob.bin',
      content: binary.toString('base64'),
      encoding: 'base64',
    });
    const listed = await run(id, 'list', { path: '/reports' });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data.entries).toMatchObject([
      { name: '2024', path: '/reports/2024', type: 'directory' },
      { name: 'blob.bin', path: '/reports/blob.bin', type: 'file', size: 5 },
    ]);
    const stat = await run(id, 'stat', { path: 'reports/2024/q1.csv' });
    expect(stat.body.data).toMatchObject({ name: 'q1.csv', type: 'file', size: 8 });
    expect(Date.parse(stat.body.data.modifiedAt)).toBeGreaterThan(Date.now() - 600_000);

    const text = await run(id, 'read', { path: 'reports/2024/q1.csv' });
    expect(text.body.data).toEqual({
      path: 'reports/2024/q1.csv',
      content: 'a,b\n1,2\n',
      encoding: 'utf8',
      size: 8,
    });
    const bytes = await run(id, 'read', { path: 'reports/blob.bin', encoding: 'base64' });
    expect(Buffer.from(bytes.body.data.content, 'base64').equals(binary)).toBe(true);

    const kept = await run(id, 'write', { path: 'reports/blob.bin', content: 'x', overwrite: false });
    expect(kept.status).toBe(422);
    expect(kept.body.upstreamError).toBe('EEXIST');

    expect((await run(id, 'delete', { path: 'reports/blob.bin' })).body.data).toEqual({
      path: 'reports/blob.bin',
      deleted: true,
    });
    const missing = await run(id, 'read', { path: 'reports/blob.bin' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'ENOENT' });

    const climbing = await run(id, 'read', { path: '../../etc/passwd' });
    expect(climbing.status).toBe(400);
    expect(climbing.body.detail).toContain('leaves the root');
  });

  it('SFTP with a private key; size cap; refused password, host key and target', async () => {
    fs.writeFileSync(path.join(sftp.dir, 'big.txt'), 'x'.repeat(2048));
    const key = await connect('sftp-key', sftpConfig({ maxReadBytes: 1024 }), {
      type: 'ssh_key',
      username: sftp.username,
      privateKey: sftp.clientPrivateKey,
    });
    const listed = await run(key, 'list', {});
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data.entries.map((e: { name: string }) => e.name)).toContain('big.txt');
    const big = await run(key, 'read', { path: 'big.txt' });
    expect(big.status).toBe(422);
    expect(big.body).toMatchObject({ code: 'KRX_LIMIT_EXCEEDED', size: 2048, maxBytes: 1024 });

    const wrong = await connect('sftp-wrong', sftpConfig(), { ...password(), password: 'nope' });
    const refused = await run(wrong, 'list', {});
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    expect((await test(wrong)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    const impostor = await connect(
      'sftp-impostor',
      sftpConfig({ hostKeySha256: `SHA256:${'A'.repeat(43)}` }),
      password(),
    );
    const spoofed = await run(impostor, 'list', {});
    expect(spoofed.status).toBe(424);
    expect(spoofed.body.detail).toContain('host key');

    const metadata = await connect('sftp-metadata', sftpConfig({ host: '169.254.169.254' }), password());
    const forbidden = await run(metadata, 'list', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('KRX_TARGET_FORBIDDEN');

    const closed = await connect('sftp-closed', sftpConfig({ port: 9 }), password());
    expect((await run(closed, 'list', {})).body.code).toBe('KRX_UPSTREAM_UNREACHABLE');
  });

  it('a local folder, confined to its root and to the allowed folders', async () => {
    const root = path.join(allowed, 'tenant');
    const id = await connect('local', { mode: 'local', root }, { type: 'none' });
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const written = await run(id, 'write', { path: 'in/hello.txt', content: 'hello', createDirs: true });
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect(fs.readFileSync(path.join(root, 'in/hello.txt'), 'utf8')).toBe('hello');
    expect((await run(id, 'read', { path: '/in/hello.txt' })).body.data.content).toBe('hello');
    expect((await run(id, 'stat', { path: 'in' })).body.data).toMatchObject({ type: 'directory' });
    const listed = await run(id, 'list', { path: '/' });
    expect(listed.body.data.entries.map((e: { name: string; type: string }) => [e.name, e.type])).toEqual([
      ['escape', 'symlink'],
      ['in', 'directory'],
    ]);

    for (const input of [{ path: 'escape/secret.txt' }, { path: '../outside/secret.txt' }]) {
      const escaped = await run(id, 'read', input);
      expect(escaped.status, JSON.stringify(input)).toBe(400);
      expect(JSON.stringify(escaped.body)).not.toContain('top secret');
    }
    const writeOut = await run(id, 'write', { path: 'escape/planted.txt', content: 'x' });
    expect(writeOut.status).toBe(400);
    expect(fs.existsSync(path.join(outside, 'planted.txt'))).toBe(false);
    expect((await run(id, 'list', { path: 'escape' })).status).toBe(400);
    // Deleting the link removes the link, never what it points to.
    expect((await run(id, 'delete', { path: 'escape' })).status).toBe(200);
    expect(fs.existsSync(path.join(outside, 'secret.txt'))).toBe(true);

    expect((await run(id, 'delete', { path: 'in/hello.txt' })).status).toBe(200);
    expect(fs.existsSync(path.join(root, 'in/hello.txt'))).toBe(false);

    const elsewhere = await connect('local-outside', { mode: 'local', root: outside }, { type: 'none' });
    const forbidden = await run(elsewhere, 'list', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain('KRYONIX_DANGEROUS_FILE_ROOTS');
  });
});
