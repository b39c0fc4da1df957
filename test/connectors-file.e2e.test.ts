/**
 * The file connector against a real SFTP server (ssh2, test/fakes/sftp.ts), an S3-compatible server
 * the AWS SDK talks to (test/fakes/s3.ts) and a local folder: list, stat, read (text, base64, parsed,
 * raw stream, size cap), write (JSON and raw body), move, delete; password and key auth, host key
 * pinning, S3 access keys; no path escapes (.., symbolic links, the S3 prefix), local roots only where
 * the operator allows; the SSRF guard; provider errors (NoSuchKey, AccessDenied, signature, SlowDown)
 * surfaced clearly and recorded.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type FakeS3, startFakeS3 } from './fakes/s3.js';
import { type FakeSftp, startFakeSftp } from './fakes/sftp.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: file', (store) => {
  let t: TestPlatform;
  let sftp: FakeSftp;
  let s3: FakeS3;
  let allowed: string;
  let outside: string;

  const connect = async (name: string, config: Record<string, unknown>, auth: Record<string, unknown>) => {
    const { password, privateKey, secretAccessKey, ...authConfig } = auth;
    const credentials = {
      ...(password ? { password } : {}),
      ...(privateKey ? { privateKey } : {}),
      ...(secretAccessKey ? { secretAccessKey } : {}),
    };
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
  const { run, test } = connectionCalls(() => t);
  const sftpConfig = (extra: Record<string, unknown> = {}) => ({
    mode: 'sftp',
    host: '127.0.0.1',
    port: sftp.port,
    hostKeySha256: sftp.hostKeySha256,
    ...extra,
  });
  const password = () => ({ type: 'basic', username: sftp.username, password: sftp.password });
  const s3Config = (extra: Record<string, unknown> = {}) => ({
    mode: 's3',
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    forcePathStyle: true,
    ...extra,
  });
  const s3Keys = () => ({
    type: 'aws_access_key',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
  });
  const execution = async (executionId: string) => {
    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT status, url, response_status, error_message, retry_count, bytes_transferred::float8 AS bytes_transferred FROM api_executions WHERE id = $1',
      [executionId],
    );
    return rows[0];
  };
  /** Raw bytes as the request body; the input in the query string. */
  const upload = (id: string, query: Record<string, string>, body: string, contentType = 'text/csv') =>
    fetch(`${t.baseUrl}/api/v1/connections/${id}/actions/write?${new URLSearchParams(query)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': contentType },
      body,
    });
  const download = (id: string, input: Record<string, unknown>) =>
    fetch(`${t.baseUrl}/api/v1/connections/${id}/actions/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...input, encoding: 'raw' }),
    });

  beforeAll(async () => {
    sftp = await startFakeSftp();
    s3 = await startFakeS3();
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
    await s3?.close();
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

    const parsed = await run(id, 'read', {
      path: 'reports/2024/q1.csv',
      parse: 'csv',
      parseOptions: { parseValues: true },
    });
    expect(parsed.body.data).toEqual({
      path: 'reports/2024/q1.csv',
      format: 'csv',
      data: [{ a: 1, b: 2 }],
      size: 8,
    });

    const moved = await run(id, 'move', {
      from: 'reports/2024/q1.csv',
      to: 'archive/q1.csv',
      createDirs: true,
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.data).toEqual({ from: 'reports/2024/q1.csv', to: 'archive/q1.csv', moved: true });
    expect(fs.readFileSync(path.join(sftp.dir, 'data/archive/q1.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect(fs.existsSync(path.join(sftp.dir, 'data/reports/2024/q1.csv'))).toBe(false);
    const clash = await run(id, 'move', { from: 'reports/blob.bin', to: 'archive/q1.csv', overwrite: false });
    expect(clash.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'EEXIST' });
    expect((await run(id, 'move', { from: 'nothing.txt', to: 'x.txt' })).body.upstreamError).toBe('ENOENT');
    expect((await run(id, 'move', { from: 'reports/blob.bin', to: '../../out.bin' })).status).toBe(400);

    const raw = await upload(id, { path: 'raw/upload.csv', createDirs: 'true' }, 'x,y\n3,4\n');
    expect(raw.status, await raw.clone().text()).toBe(200);
    expect(((await raw.json()) as { data: unknown }).data).toEqual({ path: 'raw/upload.csv', size: 8 });
    const streamed = await download(id, { path: 'raw/upload.csv' });
    expect(streamed.headers.get('content-type')).toBe('text/csv');
    expect(streamed.headers.get('content-length')).toBe('8');
    expect(await streamed.text()).toBe('x,y\n3,4\n');
    // Recorded when the stream ends, which may be just after the client has its Content-Length.
    await vi.waitFor(async () =>
      expect(await execution(streamed.headers.get('x-kryonix-execution-id')!)).toMatchObject({
        status: 'success',
        bytes_transferred: 8,
      }),
    );

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

    await run(id, 'write', { path: 'in/data.json', content: '{"items":[1,2]}' });
    await run(id, 'write', { path: 'in/data.yaml', content: 'name: kryonix\ntags: [a, b]\n' });
    await run(id, 'write', { path: 'in/data.xml', content: '<order id="7"><item>pen</item></order>' });
    expect((await run(id, 'read', { path: 'in/data.json', parse: 'json' })).body.data.data).toEqual({
      items: [1, 2],
    });
    expect((await run(id, 'read', { path: 'in/data.yaml', parse: 'yaml' })).body.data.data).toEqual({
      name: 'kryonix',
      tags: ['a', 'b'],
    });
    expect((await run(id, 'read', { path: 'in/data.xml', parse: 'xml' })).body.data.data).toEqual({
      order: { '@_id': '7', item: 'pen' },
    });
    const broken = await run(id, 'read', { path: 'in/hello.txt', parse: 'json' });
    expect(broken.status).toBe(400);
    expect(broken.body.code).toBe('KRX_FORMAT_INVALID');
    const mixed = await run(id, 'read', { path: 'in/data.json', parse: 'json', encoding: 'base64' });
    expect(mixed.status).toBe(400);
    expect(mixed.body.errors).toEqual([
      { path: '/input/encoding', message: expect.stringContaining('UTF-8') },
    ]);

    const moved = await run(id, 'move', { from: 'in/data.json', to: 'done/data.json', createDirs: true });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(fs.readFileSync(path.join(root, 'done/data.json'), 'utf8')).toBe('{"items":[1,2]}');
    fs.symlinkSync(outside, path.join(root, 'exit'));
    const outward = await run(id, 'move', { from: 'done/data.json', to: 'exit/stolen.json' });
    expect(outward.status).toBe(400);
    expect(fs.existsSync(path.join(outside, 'stolen.json'))).toBe(false);
    const climbing = await run(id, 'move', { from: 'done/data.json', to: '../outside/stolen.json' });
    expect(climbing.body.errors).toEqual([{ path: '/input/to', message: 'leaves the root' }]);

    const raw = await upload(
      id,
      { path: 'in/upload.bin', overwrite: 'false' },
      'raw bytes',
      'application/octet-stream',
    );
    expect(((await raw.json()) as { data: unknown }).data).toEqual({ path: 'in/upload.bin', size: 9 });
    const again = await upload(
      id,
      { path: 'in/upload.bin', overwrite: 'false' },
      'other',
      'application/octet-stream',
    );
    expect(again.status).toBe(422);
    expect(fs.readFileSync(path.join(root, 'in/upload.bin'), 'utf8')).toBe('raw bytes');
    // Only the write action takes raw bytes; leftover temporary files are never left behind.
    const notRaw = await fetch(`${t.baseUrl}/api/v1/connections/${id}/actions/list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(notRaw.status).toBe(415);
    expect(fs.readdirSync(path.join(root, 'in')).filter((name) => name.endsWith('.part'))).toEqual([]);
    const bytes = await download(id, { path: 'in/upload.bin' });
    expect(bytes.headers.get('content-type')).toBe('application/octet-stream');
    expect(bytes.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''upload.bin");
    expect(await bytes.text()).toBe('raw bytes');
    const absent = await download(id, { path: 'in/absent.bin' });
    expect(absent.status).toBe(422);
    expect(await absent.json()).toMatchObject({ upstreamError: 'ENOENT' });

    expect((await run(id, 'delete', { path: 'in/hello.txt' })).status).toBe(200);
    expect(fs.existsSync(path.join(root, 'in/hello.txt'))).toBe(false);

    const elsewhere = await connect('local-outside', { mode: 'local', root: outside }, { type: 'none' });
    const forbidden = await run(elsewhere, 'list', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain('KRYONIX_DANGEROUS_FILE_ROOTS');
  });

  it('S3: access keys sealed, write, list with pagination, stat, read, parse, move, delete, under the prefix', async () => {
    const id = await connect('s3', s3Config({ prefix: 'tenant-a' }), s3Keys());
    const shown = await call(t.baseUrl, 'GET', `/api/integrations/connections/${id}`, { key: t.adminKey });
    expect(JSON.stringify(shown.body)).not.toContain(s3.secretAccessKey);
    expect((await test(id)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });

    for (const [file, content] of [
      ['reports/2024/q1.csv', 'a,b\n1,2\n'],
      ['reports/2024/q2.csv', 'a,b\n3,4\n'],
      ['reports/readme.txt', 'hello'],
      ['reports/summary.json', '{"total":10}'],
    ]) {
      const written = await run(id, 'write', { path: file, content });
      expect(written.status, JSON.stringify(written.body)).toBe(200);
    }
    expect(s3.read('tenant-a/reports/2024/q1.csv')?.toString()).toBe('a,b\n1,2\n');

    s3.maxKeys = 2; // S3 pages at 1,000; two a page shows the continuation tokens are followed
    const before = s3.operations.get('ListObjectsV2') ?? 0;
    const listed = await run(id, 'list', { path: 'reports' });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.data.entries).toMatchObject([
      { name: '2024', path: '/reports/2024', type: 'directory' },
      { name: 'readme.txt', path: '/reports/readme.txt', type: 'file', size: 5 },
      { name: 'summary.json', path: '/reports/summary.json', type: 'file', size: 12 },
    ]);
    expect((s3.operations.get('ListObjectsV2') ?? 0) - before).toBe(2);
    s3.maxKeys = 1000;
    expect((await run(id, 'list', {})).body.data.entries).toMatchObject([
      { name: 'reports', type: 'directory' },
    ]);

    expect((await run(id, 'stat', { path: 'reports/readme.txt' })).body.data).toMatchObject({
      name: 'readme.txt',
      type: 'file',
      size: 5,
    });
    expect((await run(id, 'stat', { path: 'reports/2024' })).body.data).toMatchObject({ type: 'directory' });
    expect((await run(id, 'read', { path: 'reports/readme.txt' })).body.data).toEqual({
      path: 'reports/readme.txt',
      content: 'hello',
      encoding: 'utf8',
      size: 5,
    });
    expect((await run(id, 'read', { path: 'reports/summary.json', parse: 'json' })).body.data.data).toEqual({
      total: 10,
    });
    expect((await run(id, 'read', { path: 'reports/2024/q2.csv', parse: 'csv' })).body.data.data).toEqual([
      { a: '3', b: '4' },
    ]);

    const moved = await run(id, 'move', { from: 'reports/2024/q1.csv', to: 'archive/q1.csv' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(s3.read('tenant-a/archive/q1.csv')?.toString()).toBe('a,b\n1,2\n');
    expect(s3.read('tenant-a/reports/2024/q1.csv')).toBeUndefined();
    const clash = await run(id, 'move', {
      from: 'reports/readme.txt',
      to: 'archive/q1.csv',
      overwrite: false,
    });
    expect(clash.body.upstreamError).toBe('EEXIST');
    const folder = await run(id, 'move', { from: 'reports/2024', to: 'old' });
    expect(folder.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'EISDIR' });

    const raw = await upload(id, { path: 'raw/data.csv' }, 'x\n1\n');
    expect(((await raw.json()) as { data: unknown }).data).toEqual({ path: 'raw/data.csv', size: 4 });
    const streamed = await download(id, { path: 'raw/data.csv' });
    expect(streamed.headers.get('content-type')).toBe('text/csv');
    expect(await streamed.text()).toBe('x\n1\n');

    expect((await run(id, 'delete', { path: 'reports/2024' })).body.upstreamError).toBe('ENOTEMPTY');
    expect((await run(id, 'delete', { path: 'reports/readme.txt' })).body.data).toEqual({
      path: 'reports/readme.txt',
      deleted: true,
    });

    // NoSuchKey surfaces as a missing file, and the failed run is recorded.
    const missing = await run(id, 'read', { path: 'reports/readme.txt' });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED', upstreamError: 'ENOENT' });
    expect(missing.body.detail).toBe('/reports/readme.txt: no such file or directory');
    expect(await execution(missing.body.executionId)).toMatchObject({
      status: 'failed',
      url: 'action:file/read',
      response_status: 422,
    });
    const escaping = await run(id, 'read', { path: '../tenant-b/secret.txt' });
    expect(escaping.status).toBe(400);
    expect(escaping.body.detail).toContain('leaves the root');
  });

  it('S3: access denied, bad signature, unknown key, missing bucket, SlowDown retried, SSRF guard', async () => {
    const readOnly = await connect('s3-read-only', s3Config(), {
      type: 'aws_access_key',
      accessKeyId: s3.readOnlyAccessKeyId,
      secretAccessKey: s3.readOnlySecretAccessKey,
    });
    expect((await test(readOnly)).body).toMatchObject({ ok: true });
    const denied = await run(readOnly, 'write', { path: 'x.txt', content: 'x' });
    expect(denied.status).toBe(424);
    expect(denied.body).toMatchObject({ code: 'KRX_UPSTREAM_AUTH_FAILED', upstreamError: 'AccessDenied' });
    expect(denied.body.detail).toBe('S3: Access Denied');

    const forged = await connect('s3-forged', s3Config(), { ...s3Keys(), secretAccessKey: 'not-the-secret' });
    const refused = await run(forged, 'list', {});
    expect(refused.status).toBe(424);
    expect(refused.body).toMatchObject({
      code: 'KRX_UPSTREAM_AUTH_FAILED',
      upstreamError: 'SignatureDoesNotMatch',
    });
    expect(JSON.stringify(refused.body)).not.toContain('not-the-secret');
    expect((await test(forged)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    const stranger = await connect('s3-stranger', s3Config(), {
      ...s3Keys(),
      accessKeyId: 'AKIAUNKNOWN000000000',
    });
    expect((await run(stranger, 'list', {})).body.upstreamError).toBe('InvalidAccessKeyId');

    const nobucket = await connect('s3-nobucket', s3Config({ bucket: 'no-such-bucket' }), s3Keys());
    const gone = await run(nobucket, 'list', {});
    expect(gone.status).toBe(422);
    expect(gone.body).toMatchObject({ upstreamError: 'NoSuchBucket', upstreamStatus: 404 });

    const id = await connect('s3-slow', s3Config({ retry: { attempts: 2, delayMs: 10 } }), s3Keys());
    s3.slowDown(1);
    const retried = await run(id, 'list', {});
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(await execution(retried.body.executionId)).toMatchObject({ status: 'success', retry_count: 1 });
    s3.slowDown(5);
    const throttled = await run(id, 'stat', { path: '' });
    expect(throttled.status).toBe(502);
    expect(throttled.body).toMatchObject({
      code: 'KRX_UPSTREAM_ERROR',
      upstreamError: 'SlowDown',
      upstreamStatus: 503,
    });
    s3.slowDown(0);

    const metadata = await connect('s3-metadata', s3Config({ endpoint: 'http://169.254.169.254' }), s3Keys());
    const forbidden = await run(metadata, 'list', {});
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('KRX_TARGET_FORBIDDEN');
  });

  it('an upload cut off mid-way leaves no file (local, S3) and a download cut off or stalled past the timeout is recorded as such', async () => {
    const root = path.join(allowed, 'cut');
    fs.mkdirSync(root);
    const local = await connect('cut-local', { mode: 'local', root }, { type: 'none' });
    const bucket = await connect('cut-s3', s3Config({ prefix: 'cut' }), s3Keys());
    /** Sends 12 MiB of a raw upload (more than two S3 parts), then drops the connection. */
    const cutUpload = (id: string, file: string) =>
      new Promise<void>((resolve) => {
        const req = http.request(`${t.baseUrl}/api/v1/connections/${id}/actions/write?path=${file}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/octet-stream' },
        });
        req.on('error', () => resolve());
        req.on('response', () => resolve());
        const chunk = Buffer.alloc(1024 * 1024, 7);
        let sent = 0;
        const more = () => {
          while (sent < 12) {
            sent++;
            if (!req.write(chunk)) return void req.once('drain', more);
          }
          setTimeout(() => req.destroy(), 200);
        };
        more();
      });

    await cutUpload(local, 'half.bin');
    await vi.waitFor(() => expect(fs.readdirSync(root)).toEqual([]));

    const aborts = s3.operations.get('AbortMultipartUpload') ?? 0;
    await cutUpload(bucket, 'half.bin');
    await vi.waitFor(() => expect(s3.operations.get('AbortMultipartUpload') ?? 0).toBe(aborts + 1));
    expect(s3.read('cut/half.bin')).toBeUndefined();

    fs.writeFileSync(path.join(root, 'big.bin'), Buffer.alloc(32 * 1024 * 1024, 1));
    const executionId = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${t.baseUrl}/api/v1/connections/${local}/actions/read`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.once('data', () => {
          res.destroy();
          resolve(String(res.headers['x-kryonix-execution-id']));
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ path: 'big.bin', encoding: 'raw' }));
    });
    const recorded = (id: string) =>
      vi.waitFor(
        async () => {
          await t.platform.executionLog.flush();
          const { rows } = await t.platform.db.pool.query(
            `SELECT status, error_details->>'code' AS code FROM api_executions WHERE id = $1`,
            [id],
          );
          expect(rows[0]).toBeDefined();
          return rows[0];
        },
        { timeout: 15_000, interval: 100 },
      );
    expect(await recorded(executionId)).toEqual({ status: 'failed', code: 'KRX_CLIENT_CLOSED_REQUEST' });

    // A streamed answer stays under the connection's timeout: a reader that stalls is cut off.
    const short = await connect('cut-timeout', { mode: 'local', root, timeoutMs: 1000 }, { type: 'none' });
    const stalled = await new Promise<{ executionId: string; received: number }>((resolve, reject) => {
      const req = http.request(`${t.baseUrl}/api/v1/connections/${short}/actions/read`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.adminKey}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        res.pause(); // read nothing until the timeout has passed
        const id = String(res.headers['x-kryonix-execution-id']);
        recorded(id).then(() => {
          let received = 0;
          res.on('data', (chunk: Buffer) => {
            received += chunk.length;
          });
          res.on('error', () => resolve({ executionId: id, received }));
          res.on('end', () => resolve({ executionId: id, received }));
          res.resume();
        }, reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ path: 'big.bin', encoding: 'raw' }));
    });
    expect(stalled.received).toBeLessThan(32 * 1024 * 1024);
    expect(await recorded(stalled.executionId)).toEqual({ status: 'timeout', code: 'KRX_UPSTREAM_TIMEOUT' });
  });
});
