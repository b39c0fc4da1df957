/**
 * The Gmail connector end to end through the platform's HTTP API, against a local Google (token
 * endpoint + Gmail API): refresh-token and service-account (domain-wide delegation) auth, an RFC 2822
 * message built from JSON and sent as base64url raw, pageToken paging, Google's error envelope, and
 * rate-limit refusals (429 and 403 userRateLimitExceeded with "Retry after" in the message).
 */
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeGoogle, startFakeGoogle } from './fakes/google.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

const SA = { email: 'kryonix@project.iam.gserviceaccount.com', subject: 'ops@kryonix.example' };

describeStores('connectors: Gmail', (store) => {
  let t: TestPlatform;
  let google: FakeGoogle;
  let privateKey: string;
  let userId: string;

  const connect = async (name: string, authConfig: object, credentials: object, config: object = {}) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'gmail',
        name,
        config: { apiUrl: google.url, retry: { attempts: 1, delayMs: 10 }, ...config },
        authConfig,
        credentials,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run, test } = connectionCalls(() => t);

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256', { extractable: true });
    privateKey = await exportPKCS8(keys.privateKey);
    google = await startFakeGoogle({
      clientId: 'client.apps.googleusercontent.com',
      clientSecret: 'GOCSPX-secret',
      refreshToken: '1//0g-refresh',
      serviceAccount: { ...SA, publicKey: await exportSPKI(keys.publicKey) },
      messages: 230,
    });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    userId = await connect(
      'gmail-user',
      {
        type: 'oauth2_refresh_token',
        tokenUrl: google.tokenUrl,
        clientId: 'client.apps.googleusercontent.com',
      },
      { clientSecret: 'GOCSPX-secret', refreshToken: '1//0g-refresh' },
    );
  });
  afterAll(async () => {
    await t?.close();
    await google?.close();
  });

  it('tests the mailbox through its profile', async () => {
    const tested = await test(userId);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toContain('me@kryonix.example');
    expect(google.issued.refresh_token).toBe(1);
  });

  it('sends an RFC 2822 message built from JSON (Unicode subject, text + HTML, attachment)', async () => {
    const sent = await run(userId, 'sendEmail', {
      to: ['ana@example.com', 'bo@example.com'],
      cc: 'cy@example.com',
      subject: 'Relatório de junho ✓',
      text: 'Olá!\nSegue o relatório.',
      html: '<p>Olá!</p>',
      attachments: [
        {
          filename: 'report.csv',
          contentType: 'text/csv',
          contentBase64: Buffer.from('a,b\n1,2\n').toString('base64'),
        },
      ],
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.data).toMatchObject({ id: expect.stringMatching(/^18d/), labelIds: ['SENT'] });
    const stored = google.mailbox.at(-1)!;
    expect(stored.raw).not.toMatch(/[+/=]/); // base64url, unpadded
    const message = Buffer.from(stored.raw, 'base64url').toString('utf8');
    expect(stored.headers.to).toBe('ana@example.com, bo@example.com');
    expect(stored.headers.subject).toBe(
      `=?UTF-8?B?${Buffer.from('Relatório de junho ✓').toString('base64')}?=`,
    );
    expect(message).toContain('Content-Type: multipart/mixed; boundary=');
    expect(message).toContain('Content-Type: multipart/alternative; boundary=');
    expect(message).toContain('Content-Disposition: attachment; filename="report.csv"');
    expect(message).toContain(Buffer.from('Olá!\nSegue o relatório.').toString('base64'));
    expect(message.split('\n').every((line) => line === '' || line.endsWith('\r'))).toBe(true);

    const injected = await run(userId, 'sendEmail', {
      to: 'a@example.com',
      subject: 'x\r\nBcc: evil@example.com',
      text: 'x',
    });
    expectProblem(injected, 400, 'KRX_VALIDATION_FAILED');
    const nobody = await run(userId, 'sendEmail', { subject: 'x', text: 'x' });
    expectProblem(nobody, 400, 'KRX_VALIDATION_FAILED');
  });

  it('lists messages with pageToken paging (maxResults ≤ 500) and reads one', async () => {
    const all = await run(userId, 'listMessages', { pageSize: 100, limit: 1000, labelIds: ['INBOX'] });
    expect(all.status, JSON.stringify(all.body).slice(0, 300)).toBe(200);
    expect(all.body.data.messages).toHaveLength(230);
    expect(all.body.data).toMatchObject({ pages: 3, resultSizeEstimate: 230 });
    expect(all.body.data.nextPageToken).toBeUndefined();

    const some = await run(userId, 'listMessages', { pageSize: 500, limit: 120, q: 'subject:hello' });
    expect(some.body.data.messages).toHaveLength(120);
    expect(some.body.data.nextPageToken).toBe('120');
    expect((await run(userId, 'listMessages', { pageSize: 501 })).status).toBe(400);

    const id = all.body.data.messages[3].id;
    const full = await run(userId, 'getMessage', { id });
    expect(full.body.data).toMatchObject({
      id,
      payload: { headers: expect.arrayContaining([{ name: 'Subject', value: 'Invoice 4' }]) },
    });
    const raw = await run(userId, 'getMessage', { id, format: 'raw' });
    expect(Buffer.from(raw.body.data.raw, 'base64url').toString()).toContain('Subject: Invoice 4');
  });

  it("maps Google's error envelope: not found is the caller's, a revoked grant is auth", async () => {
    const missing = await run(userId, 'getMessage', { id: '18cdoesnotexist' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({
      upstreamStatus: 404,
      upstreamError: 'notFound',
      upstreamMessage: 'Requested entity was not found.',
    });

    const revoked = await connect(
      'gmail-revoked',
      {
        type: 'oauth2_refresh_token',
        tokenUrl: google.tokenUrl,
        clientId: 'client.apps.googleusercontent.com',
      },
      { clientSecret: 'GOCSPX-secret', refreshToken: '1//0g-old' },
    );
    const refused = await run(revoked, 'listMessages', {});
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.detail).toContain('Token has been expired or revoked.');

    const issued = google.issued.refresh_token;
    google.revokeAccessTokens(); // 401 → one refresh → success
    expect((await run(userId, 'listMessages', { limit: 1 })).status).toBe(200);
    expect(google.issued.refresh_token).toBe(issued + 1);
  });

  it('waits out rate limits: 429 and 403 userRateLimitExceeded with "Retry after" in the message', async () => {
    google.rateLimitNext(403, 1);
    const before = google.hits['GET /gmail/v1/users/me/messages'];
    const listed = await run(userId, 'listMessages', { limit: 5 });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(google.hits['GET /gmail/v1/users/me/messages'] - before).toBe(2);

    google.rateLimitNext(429, 40);
    const sent = await run(userId, 'sendEmail', { to: 'a@example.com', text: 'x' });
    expectProblem(sent, 429, 'KRX_RATE_LIMITED');
    expect(sent.body).toMatchObject({ upstreamError: 'rateLimitExceeded' });
    expect(Number(sent.headers.get('retry-after'))).toBeGreaterThanOrEqual(38);
  });

  it('acts as a mailbox user through a service account with domain-wide delegation', async () => {
    const sa = await connect(
      'gmail-sa',
      {
        type: 'jwt_bearer',
        tokenUrl: google.tokenUrl,
        issuer: SA.email,
        subject: SA.subject,
        scope: 'https://www.googleapis.com/auth/gmail.send',
      },
      { privateKey },
      { userId: SA.subject },
    );
    const sent = await run(sa, 'sendEmail', { to: 'a@example.com', subject: 'from the robot', text: 'hi' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(google.issued['urn:ietf:params:oauth:grant-type:jwt-bearer']).toBe(1);
    expect(google.hits[`POST /gmail/v1/users/${encodeURIComponent(SA.subject)}/messages/send`]).toBe(1);

    const stranger = await connect(
      'gmail-sa-stranger',
      {
        type: 'jwt_bearer',
        tokenUrl: google.tokenUrl,
        issuer: SA.email,
        subject: 'ceo@kryonix.example',
        scope: 'https://www.googleapis.com/auth/gmail.send',
      },
      { privateKey },
    );
    const refused = await test(stranger);
    expect(refused.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
    expect(refused.body.message).toContain('unauthorized_client');
  });
});
