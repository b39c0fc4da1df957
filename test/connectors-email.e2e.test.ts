/**
 * The email connector against local servers: SMTP (AUTH, text + HTML + attachment, rejections, bad
 * login) and IMAP (hoodiecrow: list with search, fetch without marking seen, mark seen, errors).
 */
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeImap, startFakeImap } from './fakes/imap.js';
import { type FakeSmtp, startFakeSmtp } from './fakes/smtp.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

const compose = (mail: ConstructorParameters<typeof MailComposer>[0]) =>
  new Promise<string>((resolve, reject) =>
    new MailComposer(mail)
      .compile()
      .build((error, message) => (error ? reject(error) : resolve(message.toString()))),
  );

describeStores('connectors: email (SMTP, IMAP)', (store) => {
  let t: TestPlatform;
  let smtp: FakeSmtp;
  let imap: FakeImap;
  const report = Buffer.from('%PDF-1.4 quarterly report\n'.repeat(40));

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
    imap = await startFakeImap({
      username: 'mailer',
      password: 'mail-pw',
      inbox: [
        {
          raw: await compose({
            from: 'Ada Lovelace <ada@example.com>',
            to: 'ops@example.com',
            subject: 'Build failed',
            text: 'The nightly build failed.',
            date: new Date('2026-11-30T08:00:00Z'),
            messageId: '<build-1@example.com>',
          }),
          internaldate: '30-Nov-2026 08:00:01 +0000',
        },
        {
          raw: await compose({
            from: 'Bob <bob@example.com>',
            to: 'ops@example.com',
            subject: 'Invoice 42',
            text: 'Paid.',
            date: new Date('2026-12-01T09:00:00Z'),
          }),
          flags: ['\\Seen'],
          internaldate: '01-Dec-2026 09:00:01 +0000',
        },
        {
          raw: await compose({
            from: 'Ada Lovelace <ada@example.com>',
            to: ['ops@example.com', 'Carol <carol@example.com>'],
            cc: 'audit@example.com',
            subject: 'Quarterly report',
            text: 'Report attached.',
            html: '<p>Report <b>attached</b>.</p>',
            date: new Date('2026-12-02T10:00:00Z'),
            messageId: '<report-3@example.com>',
            attachments: [
              { filename: 'report.pdf', content: report, contentType: 'application/pdf' },
              { filename: 'notes.txt', content: 'small notes', contentType: 'text/plain' },
            ],
          }),
          internaldate: '02-Dec-2026 10:00:01 +0000',
        },
      ],
      archive: [
        { raw: await compose({ from: 'x@example.com', subject: 'Old', text: 'old' }), flags: ['\\Seen'] },
      ],
    });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
    await imap?.close();
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
  const connectImap = async (name: string, password: string, extra: Record<string, unknown> = {}) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'email',
        name,
        config: { imap: { host: '127.0.0.1', port: imap.port, secure: false, starttls: 'never' }, ...extra },
        authConfig: { type: 'basic', username: 'mailer' },
        credentials: { password },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run } = connectionCalls(() => t);
  const uids = (result: { body: any }) => result.body.data.messages.map((m: { uid: number }) => m.uid);

  it('lists a mailbox newest first, searches it, and tests the IMAP login', async () => {
    const id = await connectImap('imap', 'mail-pw');
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
      key: t.adminKey,
    });
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toContain('INBOX holds 3 messages (2 unread)');

    const all = await run(id, 'listMessages');
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.data).toMatchObject({
      mailbox: 'INBOX',
      total: 3,
      uidValidity: expect.stringMatching(/^\d+$/),
    });
    expect(uids(all)).toEqual([3, 2, 1]);
    expect(all.body.data.messages[0]).toMatchObject({
      uid: 3,
      messageId: '<report-3@example.com>',
      from: [{ name: 'Ada Lovelace', address: 'ada@example.com' }],
      to: [{ address: 'ops@example.com' }, { name: 'Carol', address: 'carol@example.com' }],
      cc: [{ address: 'audit@example.com' }],
      subject: 'Quarterly report',
      date: '2026-12-02T10:00:00.000Z',
      flags: [],
    });
    expect(all.body.data.messages[0].size).toBeGreaterThan(report.length);
    expect(all.body.data.messages[1].flags).toEqual(['\\Seen']);

    expect(uids(await run(id, 'listMessages', { unseen: true }))).toEqual([3, 1]);
    const newest = await run(id, 'listMessages', { unseen: true, limit: 1 });
    expect(newest.body.data).toMatchObject({ total: 2, messages: [{ uid: 3 }] });
    expect(uids(await run(id, 'listMessages', { from: 'bob@example.com' }))).toEqual([2]);
    expect(uids(await run(id, 'listMessages', { subject: 'report', since: '2026-12-01' }))).toEqual([3]);
    expect(uids(await run(id, 'listMessages', { before: '2026-12-01' }))).toEqual([1]);
    const archive = await run(id, 'listMessages', { mailbox: 'Archive' });
    expect(archive.body.data).toMatchObject({ mailbox: 'Archive', total: 1, messages: [{ subject: 'Old' }] });

    for (const bad of [{ limit: 0 }, { since: '2026-13-45' }, { flagged: 'yes' }]) {
      const refused = await run(id, 'listMessages', bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
      expect(refused.body.code).toBe('KRX_VALIDATION_FAILED');
    }
  });

  it('fetches a message without marking it seen, then marks it seen and unseen', async () => {
    const id = await connectImap('imap-rw', 'mail-pw');
    const listed = await run(id, 'listMessages', { limit: 1 });
    const { uidValidity } = listed.body.data;

    const got = await run(id, 'getMessage', { uid: 3, uidValidity, includeAttachments: true });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body.data).toMatchObject({
      uid: 3,
      messageId: '<report-3@example.com>',
      subject: 'Quarterly report',
      from: [{ name: 'Ada Lovelace', address: 'ada@example.com' }],
      text: 'Report attached.',
      html: '<p>Report <b>attached</b>.</p>',
      flags: [],
    });
    expect(got.body.data.headers).toContainEqual({ name: 'Subject', value: 'Quarterly report' });
    expect(got.body.data.attachments).toEqual([
      expect.objectContaining({
        filename: 'report.pdf',
        contentType: 'application/pdf',
        size: report.length,
        contentBase64: report.toString('base64'),
      }),
      expect.objectContaining({
        filename: 'notes.txt',
        size: 11,
        contentBase64: Buffer.from('small notes').toString('base64'),
      }),
    ]);
    expect(imap.flagsOf(3)).toEqual([]); // read with BODY.PEEK on a read-only mailbox

    const bounded = await run(id, 'getMessage', {
      uid: 3,
      includeAttachments: true,
      maxAttachmentBytes: 100,
    });
    expect(bounded.body.data.attachments).toEqual([
      expect.objectContaining({ filename: 'report.pdf', contentOmitted: true }),
      expect.objectContaining({ filename: 'notes.txt', contentBase64: expect.any(String) }),
    ]);
    expect(bounded.body.data.attachments[0].contentBase64).toBeUndefined();
    const metaOnly = await run(id, 'getMessage', { uid: 3 });
    expect(metaOnly.body.data.attachments[0]).not.toHaveProperty('contentBase64');
    expect(metaOnly.body.data.attachments[0]).not.toHaveProperty('contentOmitted');

    const marked = await run(id, 'markSeen', { uids: [3, 99], uidValidity });
    expect(marked.status, JSON.stringify(marked.body)).toBe(200);
    expect(marked.body.data).toEqual({
      mailbox: 'INBOX',
      seen: true,
      messages: [{ uid: 3, flags: ['\\Seen'] }],
      missing: [99],
    });
    expect(imap.flagsOf(3)).toContain('\\Seen');
    expect(uids(await run(id, 'listMessages', { unseen: true }))).toEqual([1]);

    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT status, url, request_body::text AS body FROM api_executions WHERE id = $1',
      [marked.body.executionId],
    );
    expect(rows[0]).toMatchObject({ status: 'success', url: 'action:email/markSeen' });
    expect(rows[0].body).not.toContain('mail-pw');

    const unmarked = await run(id, 'markSeen', { uids: [3], seen: false });
    expect(unmarked.body.data.messages).toEqual([{ uid: 3, flags: [] }]);
    expect(imap.flagsOf(3)).toEqual([]);
  });

  it('answers clear errors: unknown UID, stale UIDVALIDITY, missing mailbox, wrong password, no IMAP', async () => {
    const id = await connectImap('imap-errors', 'mail-pw');
    const missing = await run(id, 'getMessage', { uid: 99 });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toContain('no message with UID 99');

    const stale = await run(id, 'markSeen', { uids: [1], uidValidity: '999999' });
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toContain('list the messages again');
    expect(imap.flagsOf(1)).toEqual([]);

    const noBox = await run(id, 'listMessages', { mailbox: 'Nope' });
    expect(noBox.status).toBe(422);
    expect(noBox.body).toMatchObject({ code: 'KRX_UPSTREAM_REJECTED' });
    expect(noBox.body.detail).toBe('IMAP: mailbox "Nope" cannot be opened: Invalid mailbox name');

    const wrong = await connectImap('imap-bad', 'wrong');
    const refused = await run(wrong, 'listMessages');
    expect(refused.status).toBe(424);
    expect(refused.body.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.detail).toContain('refused the login');
    expect(JSON.stringify(refused.body)).not.toContain('wrong');
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${wrong}/test`, {
      key: t.adminKey,
    });
    expect(tested.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    // STARTTLS required (the default) against a server whose certificate is not trusted: no login in clear.
    const tls = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'email',
        name: 'imap-tls',
        config: { imap: { host: '127.0.0.1', port: imap.port, secure: false } },
        authConfig: { type: 'basic', username: 'mailer' },
        credentials: { password: 'mail-pw' },
      },
    });
    const untrusted = await run(tls.body.id, 'listMessages');
    expect(untrusted.status, JSON.stringify(untrusted.body)).toBe(422);
    expect(untrusted.body.detail).toContain('TLS');

    const smtpOnly = await connect('smtp-only', 'mail-pw');
    const noImap = await run(smtpOnly, 'listMessages');
    expect(noImap.status).toBe(400);
    expect(noImap.body.detail).toContain('no IMAP server');
  });

  it('tests SMTP and IMAP together when both are configured', async () => {
    const id = await connectImap('smtp-and-imap', 'mail-pw', { host: '127.0.0.1', port: smtp.port });
    const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
      key: t.adminKey,
    });
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toMatch(
      /SMTP server 127\.0\.0\.1 accepted.*; IMAP server 127\.0\.0\.1 accepted/,
    );

    const noServer = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: { connectorId: 'email', name: 'nothing', config: {}, authConfig: { type: 'none' } },
    });
    expect(noServer.status).toBe(400);
  });
});
