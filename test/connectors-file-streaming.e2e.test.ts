/**
 * Large files stream through the file connector without sitting in memory: 200 MB goes up as a raw
 * request body (write) and comes back as a raw response body (read, encoding "raw") through the HTTP
 * API, for a local folder, SFTP and S3, while the process's memory is sampled. The platform, the fakes
 * and the client all run in this process, so every copy of the file would show in the samples; the
 * bound is a fraction of the file size, not a time.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeS3, startFakeS3 } from './fakes/s3.js';
import { type FakeSftp, startFakeSftp } from './fakes/sftp.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';

const FILE_BYTES = 200 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
/**
 * Growth allowed over the baseline: under half the file (buffering it would add 200 MB or more). The
 * peaks include garbage not yet collected; S3 uploads also hold their multipart parts (3 × 5 MiB).
 */
const MAX_GROWTH_BYTES = 96 * 1024 * 1024;

/** 200 MB of deterministic, non-repeating-per-chunk bytes, made chunk by chunk as they are read. */
function source(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= FILE_BYTES) return this.push(null);
      const chunk = Buffer.alloc(CHUNK_BYTES, sent / CHUNK_BYTES);
      chunk.writeUInt32BE(sent / CHUNK_BYTES);
      sent += CHUNK_BYTES;
      this.push(chunk);
    },
  });
}

function expectedDigest(): string {
  const hash = createHash('sha256');
  for (let offset = 0; offset < FILE_BYTES; offset += CHUNK_BYTES) {
    const chunk = Buffer.alloc(CHUNK_BYTES, offset / CHUNK_BYTES);
    chunk.writeUInt32BE(offset / CHUNK_BYTES);
    hash.update(chunk);
  }
  return hash.digest('hex');
}

/** Highest rss and arrayBuffers growth over the baseline while `work` runs. */
async function sampled<T>(work: () => Promise<T>): Promise<{ result: T; rss: number; arrayBuffers: number }> {
  const base = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = () => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - base.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, 25);
  try {
    const result = await work();
    sample();
    return { result, rss, arrayBuffers };
  } finally {
    clearInterval(timer);
  }
}

describe('connectors: file streaming (200 MB, flat memory)', () => {
  let t: TestPlatform;
  let sftp: FakeSftp;
  let s3: FakeS3;
  let base: string;
  let digest: string;

  const connect = async (
    name: string,
    config: Record<string, unknown>,
    authConfig: Record<string, unknown>,
    credentials?: Record<string, unknown>,
  ) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { connectorId: 'file', name, config: { timeoutMs: 900_000, ...config }, authConfig, credentials },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };

  const request = (id: string, action: string, query: string, headers: Record<string, string>) =>
    http.request(`${t.baseUrl}/api/v1/connections/${id}/actions/${action}${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminKey}`, ...headers },
    });

  /** Uploads the generated file as the raw body; answers the action's JSON. */
  const upload = (id: string, file: string) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = request(id, 'write', `?path=${encodeURIComponent(file)}&createDirs=true`, {
        'content-type': 'application/octet-stream',
      });
      req.on('response', async (res) => {
        let text = '';
        for await (const chunk of res) text += chunk;
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
      });
      req.on('error', reject);
      pipeline(source(), req).catch(reject);
    });

  /** Downloads the file as the raw response body, hashing it as it arrives. */
  const download = (id: string, file: string) =>
    new Promise<{ status: number; bytes: number; digest: string; executionId: string }>((resolve, reject) => {
      const req = request(id, 'read', '', { 'content-type': 'application/json' });
      req.on('response', async (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of res as AsyncIterable<Buffer>) {
          bytes += chunk.length;
          hash.update(chunk);
        }
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          digest: hash.digest('hex'),
          executionId: String(res.headers['x-kryonix-execution-id']),
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ path: file, encoding: 'raw' }));
    });

  beforeAll(async () => {
    digest = expectedDigest();
    sftp = await startFakeSftp();
    s3 = await startFakeS3();
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-file-stream-'));
    process.env.KRYONIX_DANGEROUS_FILE_ROOTS = base;
    t = await startTestPlatform('pglite', { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  }, 180_000);
  afterAll(async () => {
    delete process.env.KRYONIX_DANGEROUS_FILE_ROOTS;
    await t?.close();
    await sftp?.close();
    await s3?.close();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  const backends: Array<[string, () => Promise<string>]> = [
    ['local', () => connect('stream-local', { mode: 'local', root: base }, { type: 'none' })],
    [
      'sftp',
      () =>
        connect(
          'stream-sftp',
          { mode: 'sftp', host: '127.0.0.1', port: sftp.port, hostKeySha256: sftp.hostKeySha256 },
          { type: 'basic', username: sftp.username },
          { password: sftp.password },
        ),
    ],
    [
      's3',
      () =>
        connect(
          'stream-s3',
          { mode: 's3', endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, forcePathStyle: true },
          { type: 'aws_access_key', accessKeyId: s3.accessKeyId },
          { secretAccessKey: s3.secretAccessKey },
        ),
    ],
  ];

  for (const [name, connection] of backends) {
    it(`${name}: 200 MB up and down with memory growth under ${MAX_GROWTH_BYTES / 1024 / 1024} MB`, async () => {
      const id = await connection();
      // One small round trip first: loading the SDK and warming pools are one-time costs, not the file's.
      const warm = await call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/write`, {
        key: t.adminKey,
        body: { path: 'warm.txt', content: 'warm', createDirs: true },
      });
      expect(warm.status, JSON.stringify(warm.body)).toBe(200);
      expect((await download(id, 'warm.txt')).bytes).toBe(4);
      const up = await sampled(() => upload(id, 'big/file.bin'));
      expect(up.result.status, JSON.stringify(up.result.body)).toBe(200);
      expect(up.result.body.data).toEqual({ path: 'big/file.bin', size: FILE_BYTES });
      const down = await sampled(() => download(id, 'big/file.bin'));
      expect(down.result).toMatchObject({ status: 200, bytes: FILE_BYTES, digest });
      console.log(
        `${name}: upload growth rss ${(up.rss / 2 ** 20).toFixed(1)} MB, arrayBuffers ${(up.arrayBuffers / 2 ** 20).toFixed(1)} MB; download growth rss ${(down.rss / 2 ** 20).toFixed(1)} MB, arrayBuffers ${(down.arrayBuffers / 2 ** 20).toFixed(1)} MB`,
      );
      for (const growth of [up.rss, up.arrayBuffers, down.rss, down.arrayBuffers])
        expect(growth).toBeLessThan(MAX_GROWTH_BYTES);
      await vi.waitFor(async () => {
        await t.platform.executionLog.flush();
        const { rows } = await t.platform.db.pool.query(
          'SELECT status, bytes_transferred::float8 AS bytes FROM api_executions WHERE id = $1',
          [down.result.executionId],
        );
        expect(rows[0]).toEqual({ status: 'success', bytes: FILE_BYTES });
      });
    }, 600_000); // 400 MB through SSH on a shared 2-core machine; memory is what is asserted, not time
  }
});
