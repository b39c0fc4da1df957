/**
 * The Slack connector end to end through the platform's HTTP API, against a local Slack fake:
 * bot-token Web API calls, cursor pagination, ok:false errors mapped by kind, 429 Retry-After, and
 * file uploads (upload URL, bytes, completion), and incoming webhooks with their plain-text answers.
 * The connector runs on the official SDK (WebClient), which talks to the fake as to Slack.
 */
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeSlack, startFakeSlack } from './fakes/slack.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

describeStores('connectors: Slack', (store) => {
  let t: TestPlatform;
  let slack: FakeSlack;
  let botId: string;

  const connect = async (name: string, authConfig: unknown, credentials: unknown, config: unknown = {}) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'slack',
        name,
        config: { apiUrl: slack.apiUrl, retry: { attempts: 2, delayMs: 10 }, ...(config as object) },
        authConfig,
        credentials,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run, test } = connectionCalls(() => t);
  const execution = async (id: string) => {
    await t.platform.executionLog.flush();
    const { rows } = await t.platform.db.pool.query(
      'SELECT id, status, url, retry_count, response_status, error_message, request_body::text AS body FROM api_executions WHERE id = $1',
      [id],
    );
    return rows[0];
  };

  beforeAll(async () => {
    slack = await startFakeSlack();
    slack.hooks.set('/services/T0KRYONIX/B001/general', { channel: 'C001' });
    slack.hooks.set('/services/T0KRYONIX/B002/archived', { channel: 'C006' });
    slack.hooks.set('/services/T0KRYONIX/B003/locked', { channel: 'C001', prohibited: true });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    botId = await connect(
      'slack-bot',
      { type: 'bearer' },
      { token: slack.botToken, webhookUrl: slack.webhookUrl('/services/T0KRYONIX/B001/general') },
    );
  });
  afterAll(async () => {
    await t?.close();
    await slack?.close();
  });

  it('is in the catalog with its actions, auth methods and schemas', async () => {
    const connector = await call(t.baseUrl, 'GET', '/api/integrations/connectors/slack', { key: t.adminKey });
    expect(connector.status).toBe(200);
    expect(connector.body.actions.map((a: { name: string }) => a.name)).toEqual([
      'postMessage',
      'listChannels',
      'uploadFile',
      'authTest',
      'sendWebhook',
    ]);
    const post = connector.body.actions.find((a: { name: string }) => a.name === 'postMessage');
    expect(post).toMatchObject({ classification: 'write', idempotent: false });
    const view = await call(t.baseUrl, 'GET', `/api/integrations/connections/${botId}`, { key: t.adminKey });
    expect(view.body.credentials).toEqual({ token: '********', webhookUrl: '********' });
  });

  it('tests the connection with auth.test and runs authTest', async () => {
    const tested = await test(botId);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(tested.body.message).toContain('kryonix-bot');
    const who = await run(botId, 'authTest');
    expect(who.status, JSON.stringify(who.body)).toBe(200);
    expect(who.body.data).toEqual({
      url: 'https://kryonix-test.slack.com/',
      team: 'Kryonix Test',
      teamId: 'T0KRYONIX',
      user: 'kryonix-bot',
      userId: 'U0BOT',
      botId: 'B0BOT',
    });
  });

  it('posts text and blocks with chat.postMessage and records the run without the token', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Deploy* finished' } }];
    const posted = await run(botId, 'postMessage', { channel: '#general', text: 'Deploy finished', blocks });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    expect(posted.body.data).toMatchObject({ channel: 'C001', message: { text: 'Deploy finished', blocks } });
    expect(posted.body.data.ts).toMatch(/^\d+\.\d+$/);
    expect(slack.lastArgs['chat.postMessage']).toMatchObject({ channel: '#general', blocks });
    expect(slack.posted.at(-1)).toMatchObject({ channel: 'C001', via: 'api' });
    const row = await execution(posted.body.executionId);
    expect(row).toMatchObject({ status: 'success', url: 'action:slack/postMessage' });
    expect(row.body).not.toContain(slack.botToken);

    const missing = await run(botId, 'postMessage', { channel: 'C001' });
    expectProblem(missing, 400, 'KRX_VALIDATION_FAILED');
  });

  it('follows next_cursor until the channels run out or the limit is reached', async () => {
    const all = await run(botId, 'listChannels', {
      types: ['public_channel', 'private_channel'],
      pageSize: 3,
    });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expect(all.body.data.channels.map((c: { id: string }) => c.id)).toEqual(slack.channels.map((c) => c.id));
    expect(all.body.data).toMatchObject({ pages: 3, nextCursor: '' });
    expect(slack.lastArgs['conversations.list']).toMatchObject({ limit: '3' });

    const some = await run(botId, 'listChannels', { pageSize: 2, limit: 3, excludeArchived: true });
    expect(some.body.data.channels.map((c: { id: string }) => c.id)).toEqual(['C001', 'C002', 'C003']);
    expect(some.body.data.nextCursor).not.toBe('');
    const rest = await run(botId, 'listChannels', {
      pageSize: 10,
      excludeArchived: true,
      cursor: some.body.data.nextCursor,
    });
    expect(rest.body.data.channels.map((c: { id: string }) => c.id)).toEqual(['C004', 'C005']);

    const over = await run(botId, 'listChannels', { pageSize: 1001 });
    expectProblem(over, 400, 'KRX_VALIDATION_FAILED');
  });

  it('uploads a file the current way: upload URL, the bytes, then completion in a channel', async () => {
    const bytes = Buffer.from('id,total\n1,42\n2,7\n');
    const uploaded = await run(botId, 'uploadFile', {
      filename: 'totals.csv',
      contentBase64: bytes.toString('base64'),
      channel: 'C001',
      title: 'Totals',
      initialComment: 'Nightly totals',
    });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(200);
    expect(uploaded.body.data).toEqual({
      files: [{ id: expect.stringMatching(/^F0/), title: 'Totals' }],
      bytes: bytes.length,
    });
    const file = slack.files.get(uploaded.body.data.files[0].id)!;
    expect(file).toMatchObject({
      filename: 'totals.csv',
      length: bytes.length,
      completed: { title: 'Totals', channel: 'C001', initialComment: 'Nightly totals' },
    });
    expect(file.bytes).toEqual(bytes);
    expect(file.uploadAuthorization).toBeUndefined(); // the pre-signed URL gets no token
    expect(slack.lastArgs['files.getUploadURLExternal']).toMatchObject({
      filename: 'totals.csv',
      length: String(bytes.length),
    });
    const row = await execution(uploaded.body.executionId);
    expect(row).toMatchObject({ status: 'success', url: 'action:slack/uploadFile' });
    expect(row.body).not.toContain(slack.botToken);

    const text = await run(botId, 'uploadFile', { filename: 'notes.txt', content: 'private notes' });
    expect(text.status, JSON.stringify(text.body)).toBe(200);
    const notes = slack.files.get(text.body.data.files[0].id)!;
    expect(notes.bytes?.toString()).toBe('private notes');
    expect(notes.completed).toMatchObject({ title: 'notes.txt', channel: undefined });

    const outside = await run(botId, 'uploadFile', { filename: 'x.txt', content: 'x', channel: 'C004' });
    expectProblem(outside, 422, 'KRX_UPSTREAM_REJECTED');
    expect(outside.body).toMatchObject({ upstreamStatus: 200, upstreamError: 'not_in_channel' });
    expect(outside.body.detail).toContain('invite it first');
    const nowhere = await run(botId, 'uploadFile', { filename: 'x.txt', content: 'x', channel: 'C404' });
    expect(nowhere.body.upstreamError).toBe('channel_not_found');

    const both = await run(botId, 'uploadFile', { filename: 'x.txt', content: 'x', contentBase64: 'eA==' });
    expectProblem(both, 400, 'KRX_VALIDATION_FAILED');
    const commentOnly = await run(botId, 'uploadFile', {
      filename: 'x.txt',
      content: 'x',
      initialComment: 'hi',
    });
    expectProblem(commentOnly, 400, 'KRX_VALIDATION_FAILED');
    const notBase64 = await run(botId, 'uploadFile', { filename: 'x.bin', contentBase64: 'not base64!' });
    expectProblem(notBase64, 400, 'KRX_VALIDATION_FAILED');

    // A 429 on the way is answered at once with Slack's Retry-After (the SDK does not sleep on it).
    const limited = await connect('slack-upload-limited', { type: 'bearer' }, { token: slack.botToken });
    slack.rateLimit('files.getUploadURLExternal', 30);
    const calls = slack.calls['files.getUploadURLExternal'];
    const waited = await run(limited, 'uploadFile', { filename: 'x.txt', content: 'x' });
    expectProblem(waited, 429, 'KRX_RATE_LIMITED');
    expect(waited.headers.get('retry-after')).toBe('30');
    expect(slack.calls['files.getUploadURLExternal']).toBe(calls + 1);

    const bad = await connect('slack-bad-upload', { type: 'bearer' }, { token: 'xoxb-revoked' });
    const refused = await run(bad, 'uploadFile', { filename: 'x.txt', content: 'x' });
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.upstreamError).toBe('invalid_auth');
  });

  it('maps ok:false answers: a missing channel is a user error, a bad token an auth failure', async () => {
    const missing = await run(botId, 'postMessage', { channel: 'C404', text: 'hi' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({
      upstreamStatus: 200,
      upstreamError: 'channel_not_found',
      retryable: false,
    });
    expect(missing.body.detail).toContain('the channel does not exist or the bot cannot see it');
    const row = await execution(missing.body.executionId);
    expect(row).toMatchObject({ status: 'failed', retry_count: 0 });

    const outside = await run(botId, 'postMessage', { channel: 'C004', text: 'hi' });
    expect(outside.body.upstreamError).toBe('not_in_channel');
    expect(outside.body.detail).toContain('invite it first');

    slack.answerHtmlOnce();
    const proxied = await run(botId, 'postMessage', { channel: 'C001', text: 'hi' });
    expectProblem(proxied, 502, 'KRX_UPSTREAM_ERROR');
    expect(proxied.body).toMatchObject({ upstreamError: 'unexpected_response', retryable: false });
    expect(proxied.body.detail).not.toContain('<html>');

    const bad = await connect('slack-bad', { type: 'bearer' }, { token: 'xoxb-revoked' });
    const refused = await run(bad, 'authTest');
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.upstreamError).toBe('invalid_auth');
    const tested = await test(bad);
    expect(tested.body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });
    expect(tested.body.message).toContain('invalid_auth');
  });

  it("waits out a 429's Retry-After: reads are retried after it, writes are answered 429", async () => {
    const reader = await connect('slack-limited', { type: 'bearer' }, { token: slack.botToken });
    slack.rateLimit('conversations.list', 1);
    const before = slack.calls['conversations.list'];
    const started = Date.now();
    const listed = await run(reader, 'listChannels', { pageSize: 1000 });
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(slack.calls['conversations.list'] - before).toBe(2);
    expect((await execution(listed.body.executionId)).retry_count).toBe(1);

    const writer = await connect('slack-limited-write', { type: 'bearer' }, { token: slack.botToken });
    slack.rateLimit('chat.postMessage', 30);
    const sent = await run(writer, 'postMessage', { channel: 'C001', text: 'hi' });
    expectProblem(sent, 429, 'KRX_RATE_LIMITED');
    expect(sent.headers.get('retry-after')).toBe('30');
    const calls = slack.calls['chat.postMessage'];
    const again = await run(writer, 'postMessage', { channel: 'C001', text: 'hi' });
    expectProblem(again, 429, 'KRX_RATE_LIMITED'); // told to wait: not sent at all
    expect(slack.calls['chat.postMessage']).toBe(calls);
  });

  it('posts through the incoming webhook and maps its plain-text answers', async () => {
    const sent = await run(botId, 'sendWebhook', { text: 'from the webhook' });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.data).toEqual({ ok: true });
    expect(slack.posted.at(-1)).toMatchObject({ channel: 'C001', text: 'from the webhook', via: 'webhook' });

    const hookOnly = async (path: string) =>
      connect(`hook-${path.split('/').at(-1)}`, { type: 'none' }, { webhookUrl: slack.webhookUrl(path) });
    const general = await hookOnly('/services/T0KRYONIX/B001/general');
    expect((await test(general)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    expect(slack.posted.at(-1)?.text).toBe('from the webhook'); // the probe posted nothing
    const noToken = await run(general, 'postMessage', { channel: 'C001', text: 'x' });
    expectProblem(noToken, 400, 'KRX_VALIDATION_FAILED');
    expect(noToken.body.detail).toContain('bot token');

    const archived = await run(await hookOnly('/services/T0KRYONIX/B002/archived'), 'sendWebhook', {
      text: 'x',
    });
    expectProblem(archived, 422, 'KRX_UPSTREAM_REJECTED');
    expect(archived.body).toMatchObject({ upstreamStatus: 410, upstreamError: 'channel_is_archived' });

    const locked = await run(await hookOnly('/services/T0KRYONIX/B003/locked'), 'sendWebhook', { text: 'x' });
    expectProblem(locked, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(locked.body.upstreamError).toBe('action_prohibited');

    const gone = await hookOnly('/services/T0KRYONIX/B999/removed');
    const missing = await run(gone, 'sendWebhook', { text: 'x' });
    expect(missing.body).toMatchObject({ upstreamStatus: 404, upstreamError: 'no_service' });
    expect((await test(gone)).body).toMatchObject({ ok: false, healthStatus: 'unhealthy' });

    slack.failNextWebhook();
    const failed = await run(botId, 'sendWebhook', { text: 'x' });
    expectProblem(failed, 502, 'KRX_UPSTREAM_ERROR');
    expect(failed.body.upstreamError).toBe('rollup_error');
  });

  it("is a fake Slack's own SDK can talk to", async () => {
    const client = new WebClient(slack.botToken, {
      slackApiUrl: `${slack.apiUrl}/`,
      retryConfig: { retries: 0 },
    });
    const ids: string[] = [];
    for await (const page of client.paginate('conversations.list', {
      limit: 2,
      types: 'public_channel,private_channel',
    }))
      ids.push(...((page as unknown as { channels: { id: string }[] }).channels ?? []).map((c) => c.id));
    expect(ids).toEqual(slack.channels.map((c) => c.id));
    const posted = await client.chat.postMessage({
      channel: 'C002',
      text: 'sdk',
      blocks: [{ type: 'divider' }],
    });
    expect(posted.ok).toBe(true);
    expect(slack.posted.at(-1)).toMatchObject({ channel: 'C002', blocks: [{ type: 'divider' }] });
    const uploaded = await client.filesUploadV2({
      channel_id: 'C002',
      file: Buffer.from('sdk bytes'),
      filename: 'sdk.txt',
      initial_comment: 'from the SDK',
    });
    const fileId = (uploaded as unknown as { files: { files: { id: string }[] }[] }).files[0].files[0].id;
    expect(slack.files.get(fileId)).toMatchObject({
      completed: { channel: 'C002', initialComment: 'from the SDK' },
    });
    expect(slack.files.get(fileId)?.bytes?.toString()).toBe('sdk bytes');
    await expect(client.chat.postMessage({ channel: 'C404', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });
});
