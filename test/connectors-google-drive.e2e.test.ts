/**
 * The Google Drive connector end to end through the platform's HTTP API, against the local Google
 * fake with Drive v3: queries with fields and nextPageToken paging, multipart uploads, resumable
 * uploads in 256 KiB-multiple chunks answered 308 + Range (resuming after a partial write),
 * download, folders, about (fields required), and Google's errors.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeGoogle, startFakeGoogle } from './fakes/google.js';
import { addFakeDrive, type FakeDrive } from './fakes/google-drive.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

describeStores('connectors: Google Drive', (store) => {
  let t: TestPlatform;
  let google: FakeGoogle;
  let drive: FakeDrive;
  let id: string;

  const run = (action: string, input: unknown = {}) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/${action}`, { key: t.adminKey, body: input });

  beforeAll(async () => {
    google = await startFakeGoogle({
      clientId: 'drive-client',
      clientSecret: 'drive-secret',
      refreshToken: '1//drive',
    });
    drive = addFakeDrive(google, { files: 25 });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'google-drive',
        name: 'drive',
        config: { apiUrl: google.url, retry: { attempts: 1, delayMs: 10 } },
        authConfig: { type: 'oauth2_refresh_token', tokenUrl: google.tokenUrl, clientId: 'drive-client' },
        credentials: { clientSecret: 'drive-secret', refreshToken: '1//drive' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    id = created.body.id;
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
  });

  it('tests the connection with about.get (fields given) and answers about', async () => {
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
      key: t.adminKey,
    });
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toContain('ops@kryonix.example');
    const about = await run('about');
    expect(about.body.data).toMatchObject({
      user: { emailAddress: 'ops@kryonix.example' },
      storageQuota: { usage: '1024' },
    });
  });

  it('lists with a query and fields, following nextPageToken up to the limit', async () => {
    const all = await run('listFiles', {
      q: "'folder-reports' in parents and trashed = false",
      pageSize: 10,
    });
    expect(all.status, JSON.stringify(all.body).slice(0, 300)).toBe(200);
    expect(all.body.data.files).toHaveLength(24);
    expect(all.body.data).toMatchObject({ pages: 3, incompleteSearch: false });
    expect(all.body.data.files[0]).toEqual({
      id: 'file-0001',
      name: 'report-1.csv',
      mimeType: 'text/csv',
      size: '9',
      modifiedTime: expect.any(String),
      parents: ['folder-reports'],
    });
    const names = await run('listFiles', {
      q: "name contains 'invoice'",
      fields: 'id, name',
      pageSize: 2,
      limit: 3,
    });
    expect(names.body.data.files).toEqual([
      { id: 'file-0005', name: 'invoice-5.pdf' },
      { id: 'file-0010', name: 'invoice-10.pdf' },
      { id: 'file-0015', name: 'invoice-15.pdf' },
    ]);
    expect(names.body.data.nextPageToken).toBe('3');
    expectProblem(await run('listFiles', { pageSize: 1001 }), 400, 'KRX_VALIDATION_FAILED');
    const bad = await run('listFiles', { q: 'size > 3' });
    expectProblem(bad, 422, 'KRX_UPSTREAM_REJECTED');
    expect(bad.body).toMatchObject({ upstreamStatus: 400, upstreamError: 'invalid' });
  });

  it('uploads a small file as multipart/related and reads it back', async () => {
    const up = await run('uploadFile', {
      name: 'notes.txt',
      text: 'olá, drive',
      parents: ['folder-reports'],
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.data).toMatchObject({
      uploadType: 'multipart',
      requests: 1,
      file: { name: 'notes.txt', mimeType: 'text/plain' },
    });
    const fileId = up.body.data.file.id;
    expect(drive.files.get(fileId)?.content?.toString('utf8')).toBe('olá, drive');
    const meta = await run('getFile', { fileId, fields: 'id, name, size, parents' });
    expect(meta.body.data).toEqual({
      id: fileId,
      name: 'notes.txt',
      size: String(Buffer.byteLength('olá, drive')),
      parents: ['folder-reports'],
    });
    const down = await run('downloadFile', { fileId });
    expect(Buffer.from(down.body.data.contentBase64, 'base64').toString('utf8')).toBe('olá, drive');
    expect(down.body.data).toMatchObject({ contentType: 'text/plain' });
  });

  it('uploads a larger file in a resumable session: 308 + Range until done, resuming after a partial write', async () => {
    const content = Buffer.alloc(700 * 1024);
    for (let i = 0; i < content.length; i++) content[i] = (i * 31) % 251;
    drive.persistShortNext(100 * 1024); // the first chunk is only partly stored: Range says so
    const up = await run('uploadFile', {
      name: 'big.bin',
      contentBase64: content.toString('base64'),
      resumableThresholdBytes: 256 * 1024,
      chunkSizeBytes: 256 * 1024,
    });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    expect(up.body.data).toMatchObject({
      uploadType: 'resumable',
      file: { name: 'big.bin', size: String(content.length) },
    });
    const upload = drive.uploads.at(-1)!;
    expect(upload.ranges[0]).toBe(`bytes 0-262143/${content.length}`);
    expect(upload.ranges[1]).toBe(`bytes 102400-364543/${content.length}`);
    expect(upload.ranges.at(-1)).toMatch(new RegExp(`-${content.length - 1}/${content.length}$`));
    expect(drive.files.get(up.body.data.file.id)?.content?.equals(content)).toBe(true);
    expectProblem(
      await run('uploadFile', { name: 'x', text: 'x', chunkSizeBytes: 1000 }),
      400,
      'KRX_VALIDATION_FAILED',
    );
  });

  it('creates folders and maps Drive errors', async () => {
    const folder = await run('createFolder', { name: 'Exports', parents: ['folder-reports'] });
    expect(folder.body.data).toMatchObject({
      name: 'Exports',
      mimeType: 'application/vnd.google-apps.folder',
    });

    const missing = await run('getFile', { fileId: 'nope' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({
      upstreamStatus: 404,
      upstreamError: 'notFound',
      upstreamMessage: 'File not found: nope.',
    });
    const doc = await run('downloadFile', { fileId: 'doc-1' });
    expectProblem(doc, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(doc.body.upstreamError).toBe('fileNotDownloadable');

    google.rateLimitNext(403, 1);
    const retried = await run('getFile', { fileId: 'file-0002' });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
  });
});
