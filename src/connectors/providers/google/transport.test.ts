/**
 * The googleapis clients over context.http: what the SDK builds goes out through our HTTP layer with
 * the connection's token (refreshed once on a 401, the body sent again whole), under an API root with
 * a path prefix, a resumable session URI elsewhere is refused, and Google's refusals come back as our
 * errors after one request (no gaxios retries).
 */
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  json,
  type RecordingServer,
  rotatingTokenAuth,
  startRecordingServer,
} from '../../../../test/support/recording-server.js';
import { KryonixError } from '../../../platform/errors.js';
import { createConnectorHttp, ProviderLimits } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { driveCall } from '../google-drive/api.js';
import { downloadFile } from '../google-drive/download-file.js';
import { googleDriveConnector } from '../google-drive/index.js';
import { uploadFile } from '../google-drive/upload-file.js';

describe('Google SDK transport', () => {
  let server: RecordingServer;
  const dispatcher = new Agent();
  const auth = rotatingTokenAuth('oauth2_refresh_token');
  const context = () =>
    ({
      connection: { config: { apiUrl: `${server.url}/prefix` } },
      http: createConnectorHttp({
        connector: googleDriveConnector,
        connectionId: 'c1',
        auth,
        dispatcher,
        limits: new ProviderLimits(),
        signal: new AbortController().signal,
      }),
    }) as unknown as ActionContext;

  beforeAll(async () => {
    server = await startRecordingServer({
      before: (request) =>
        request.headers.authorization === 'Bearer fresh'
          ? undefined
          : json(401, { error: { code: 401, message: 'Invalid Credentials', status: 'UNAUTHENTICATED' } }),
    });
  });
  afterAll(async () => {
    await dispatcher.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  it('sends the multipart upload the SDK builds with our token, whole again after a refresh', async () => {
    auth.token = 'stale';
    server.answers.push(json(200, { id: 'f1', name: 'a.txt' }));
    const response = await driveCall(context(), (drive, options) =>
      drive.files.create(
        {
          fields: 'id, name',
          requestBody: { name: 'a.txt' },
          media: { mimeType: 'text/plain', body: Readable.from(Buffer.from('olá')) },
        },
        options,
      ),
    );
    expect(response.data).toEqual({ id: 'f1', name: 'a.txt' });
    expect(server.seen).toHaveLength(2);
    const [first, second] = server.seen;
    expect(first.headers.authorization).toBe('Bearer stale');
    expect(second.headers.authorization).toBe('Bearer fresh');
    expect(second.body.equals(first.body)).toBe(true);
    const url = new URL(second.url, server.url);
    expect(url.pathname).toBe('/prefix/upload/drive/v3/files');
    expect(Object.fromEntries(url.searchParams)).toEqual({ fields: 'id, name', uploadType: 'multipart' });
    const boundary = /^multipart\/related; boundary=(.+)$/.exec(String(second.headers['content-type']))?.[1];
    expect(second.body.toString('utf8')).toBe(
      `--${boundary}\r\ncontent-type: application/json\r\n\r\n{"name":"a.txt"}\r\n` +
        `--${boundary}\r\ncontent-type: text/plain\r\n\r\nolá\r\n--${boundary}--`,
    );
    expect(second.headers['x-goog-api-client']).toMatch(/^gdcl\//);
    expect(second.headers['accept-encoding']).toBeUndefined();
  });

  it('hands alt=media over as bytes', async () => {
    auth.token = 'fresh';
    const pdf = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xff]);
    server.answers.push((res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end(pdf);
    });
    const output = await downloadFile.run(context(), { fileId: 'f1' });
    expect(output).toEqual({
      contentBase64: pdf.toString('base64'),
      size: 6,
      contentType: 'application/pdf',
    });
    expect(server.seen[0].url).toBe('/prefix/drive/v3/files/f1?alt=media&supportsAllDrives=true');
  });

  it('opens a resumable session through the SDK and keeps its token off another origin', async () => {
    auth.token = 'fresh';
    server.answers.push((res) => {
      res.writeHead(200, { location: 'https://elsewhere.example/upload?upload_id=x', 'content-length': '0' });
      res.end();
    });
    const refused = await uploadFile
      .run(context(), { name: 'big.bin', text: 'x'.repeat(300), resumableThresholdBytes: 100 })
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED' });
    expect(server.seen).toHaveLength(1); // no chunk went out
    const url = new URL(server.seen[0].url, server.url);
    expect(url.pathname).toBe('/prefix/upload/drive/v3/files');
    expect(url.searchParams.get('uploadType')).toBe('resumable');
    expect(server.seen[0].headers).toMatchObject({
      'x-upload-content-type': 'text/plain',
      'x-upload-content-length': '300',
      'content-type': 'application/json',
    });
    expect(JSON.parse(server.seen[0].body.toString())).toEqual({ name: 'big.bin', mimeType: 'text/plain' });
  });

  it("answers Google's refusals as our errors after one request", async () => {
    auth.token = 'fresh';
    const at = new Date(Date.now() + 30_000).toISOString();
    server.answers.push(
      json(403, {
        error: {
          code: 403,
          message: `User-rate limit exceeded.  Retry after ${at}`,
          errors: [{ reason: 'userRateLimitExceeded', domain: 'usageLimits' }],
        },
      }),
    );
    const limited = await driveCall(context(), (drive, options) =>
      drive.about.get({ fields: 'user' }, options),
    )
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(KryonixError);
    expect(limited).toMatchObject({
      code: 'KRX_RATE_LIMITED',
      extensions: { upstreamError: 'userRateLimitExceeded' },
    });
    expect(Number((limited as KryonixError).headers['Retry-After'])).toBeGreaterThan(25);

    server.answers.push(
      json(503, { error: { code: 503, message: 'Backend Error', errors: [{ reason: 'backendError' }] } }),
    );
    const failed = await driveCall(context(), (drive, options) => drive.files.get({ fileId: 'f1' }, options))
      .then(() => undefined)
      .catch((error: unknown) => error);
    expect(failed).toMatchObject({ code: 'KRX_UPSTREAM_ERROR', extensions: { retryable: true } });
    expect(server.seen).toHaveLength(2); // gaxios' own retries would have sent it again
  });
});
