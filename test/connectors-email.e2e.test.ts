/** The email connector against a local SMTP server: AUTH, text + HTML + attachment, rejections, bad login. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSmtp, startFakeSmtp } from './fakes/smtp.js';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

describeStores('connectors: email (SMTP)', (store) => {
  let t: TestPlatform;
  let smtp: FakeSmtp;

  const connect = async (name: string, password: string) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'email',
        name,
        config: { host: '127.0.0.1', port: smtp.port, from: 'Kryonix <noreply@example.com>' },
        authConfig: { type: 'basic', username: 'mailer' },
        credentials: { password },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const send = (id: string, input: unknown) =>
    call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/send`, { key: t.adminKey, body: input });

  beforeAll(async () => {
    smtp = await startFakeSmtp({ username: 'mailer', password: 'mail-pw' });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('tests the login and sends text, HTML and an attachment', async () => {
    const id = await connect('mail', 'mail-pw');
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
      key: t.adminKey,
    });
    expect(tested.body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const sent = await send(id, {
      to: ['ada@example.com', 'bob@example.com'],
      subject: 'Report ready',
      text: 'See attached.',
      html: '<p>See <b>attached</b>.</p>',
      attachments: [
        {
          filename: 'report.csv',
          contentBase64: Buffer.from('a,b\n1,2\n').toString('base64'),
          contentType: 'text/csv',
        },
      ],
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.data).toMatchObject({ accepted: ['ada@example.com', 'bob@example.com'], rejected: [] });
    expect(sent.body.data.response).toContain('250');
    const mail = smtp.messages.at(-1)!;
    expect(mail).toMatchObject({
      from: 'noreply@example.com',
      to: ['ada@example.com', 'bob@example.com'],
      user: 'mailer',
    });
    expect(mail.data).toContain('Subject: Report ready');
    expect(mail.data).toContain('text/html');
    expect(mail.data).toContain('filename=report.csv');
    expect(mail.data).toContain(Buffer.from('a,b\n1,2\n').toString('base64').slice(0, 8));
  });

  it('surfaces a rejected recipient, a bad login and bad input clearly', async () => {
    const id = await connect('mail-2', 'mail-pw');
    const rejected = await send(id, { to: 'nobody@example.com', subject: 'x', text: 'y' });
    expect(rejected.status).toBe(422);
    expect(rejected.body.code).toBe('KRX_UPSTREAM_REJECTED');
    expect(rejected.body.detail).toContain('User unknown');

    const wrong = await connect('mail-bad', 'wrong');
    const refused = await send(wrong, { to: 'ada@example.com', subject: 'x', text: 'y' });
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${wrong}/test`, {
      key: t.adminKey,
    });
    expect(tested.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    const noBody = await send(id, { to: 'ada@example.com', subject: 'x' });
    expect(noBody.status).toBe(400);
    expect(noBody.body.code).toBe('KRX_VALIDATION_FAILED');
  });
});
