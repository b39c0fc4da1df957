/**
 * The Microsoft Teams connector end to end through the platform's HTTP API, against a local Teams
 * surface: Workflows webhook (Adaptive Card envelope), legacy connector webhook (MessageCard, 200 `1`,
 * errors and throttling in a 200 body), Graph with an app-only token MSAL gets from the fake Entra ID
 * token endpoint (cached, granted again once on a 401; teams and channels with nextLink paging, 429
 * Retry-After), the documented 403 for app-only channel message posts, and Entra's AADSTS refusals.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeTeams } from './fakes/teams.js';
import { call, connectionCalls, startTestPlatform, type TestPlatform } from './support/platform.js';
import { describeStores } from './support/stores.js';

function expectProblem(result: { status: number; body: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  expect(result.body.code).toBe(code);
}

describeStores('connectors: Microsoft Teams', (store) => {
  let t: TestPlatform;
  let teams: Awaited<ReturnType<typeof startFakeTeams>>;
  let graph: string;
  let hooks: string;

  const connect = async (name: string, authConfig: object, credentials: object) => {
    const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
      key: t.adminKey,
      body: {
        connectorId: 'teams',
        name,
        config: { graphUrl: teams.graphUrl, retry: { attempts: 1, delayMs: 10 } },
        authConfig,
        credentials,
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const { run, test } = connectionCalls(() => t);

  beforeAll(async () => {
    teams = await startFakeTeams({
      tenant: 'contoso.onmicrosoft.com',
      clientId: 'app-id',
      clientSecret: 'app-secret',
      teams: 5,
    });
    t = await startTestPlatform(store, { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32' });
    graph = await connect(
      'teams-graph',
      {
        type: 'oauth2_client_credentials',
        tokenUrl: teams.tokenUrl,
        clientId: 'app-id',
        scope: 'https://graph.microsoft.com/.default',
      },
      { clientSecret: 'app-secret' },
    );
    hooks = await connect(
      'teams-hooks',
      { type: 'none' },
      { workflowUrl: teams.workflowUrl, connectorUrl: teams.connectorUrl },
    );
  });
  afterAll(async () => {
    await t?.close();
    await teams?.close();
  });

  it('posts an Adaptive Card (or a text wrapped in one) to a Workflows webhook', async () => {
    expect((await test(hooks)).body).toMatchObject({ ok: true, healthStatus: 'healthy' });
    const card = {
      type: 'AdaptiveCard',
      version: '1.5',
      body: [{ type: 'TextBlock', text: 'Build **green**' }],
    };
    const sent = await run(hooks, 'sendWorkflowMessage', { card });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(sent.body.data).toEqual({ accepted: true, status: 202 });
    expect(teams.posted.at(-1)).toEqual({
      via: 'workflow',
      payload: {
        type: 'message',
        attachments: [
          { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
        ],
      },
    });
    await run(hooks, 'sendWorkflowMessage', { text: 'plain' });
    expect(teams.posted.at(-1)?.payload.attachments[0].content.body[0]).toMatchObject({
      type: 'TextBlock',
      text: 'plain',
    });

    const unsigned = await connect(
      'teams-unsigned',
      { type: 'none' },
      { workflowUrl: teams.workflowUrl.replace('good-signature', 'x') },
    );
    const refused = await run(unsigned, 'sendWorkflowMessage', { text: 'x' });
    expectProblem(refused, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(refused.body.upstreamError).toBe('DirectApiAuthorizationRequired');
  });

  it('posts a MessageCard to a legacy connector webhook and reads its 200-with-error answers', async () => {
    const sent = await run(hooks, 'sendConnectorMessage', {
      title: 'Deploy',
      text: 'Done',
      themeColor: '00FF00',
    });
    expect(sent.body.data).toEqual({ accepted: true });
    expect(teams.posted.at(-1)?.payload).toMatchObject({
      '@type': 'MessageCard',
      '@context': 'http://schema.org/extensions',
      text: 'Done',
    });
    expectProblem(
      await run(hooks, 'sendConnectorMessage', { title: 'no text' }),
      400,
      'KRX_VALIDATION_FAILED',
    );

    teams.throttleConnectorNext();
    const throttled = await run(hooks, 'sendConnectorMessage', { text: 'again' });
    expectProblem(throttled, 429, 'KRX_RATE_LIMITED');
    expect(throttled.body).toMatchObject({ upstreamStatus: 200, upstreamError: 'throttled' });
  });

  it('lists teams (following @odata.nextLink) and channels with an app-only Graph token', async () => {
    const tested = await test(graph);
    expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });
    // MSAL performed the grant (its library info is in the form); the secret went only to Entra
    expect(teams.tokenRequests).toHaveLength(1);
    expect(teams.tokenRequests[0]).toMatchObject({
      grant_type: 'client_credentials',
      client_id: 'app-id',
      scope: 'https://graph.microsoft.com/.default',
      'x-client-SKU': 'msal.js.node',
    });
    const all = await run(graph, 'listTeams', { limit: 500 });
    expect(all.body.data.items.map((team: any) => team.displayName)).toEqual([
      'Team 1',
      'Team 2',
      'Team 3',
      'Team 4',
      'Team 5',
    ]);
    const some = await run(graph, 'listTeams', { limit: 2 });
    expect(some.body.data.items).toHaveLength(2);
    expect(some.body.data.nextLink).toContain('$skiptoken=2');
    const channels = await run(graph, 'listChannels', { teamId: teams.teams[0].id });
    expect(channels.body.data.items.map((c: any) => c.displayName)).toEqual(['General', 'Ops']);

    const missing = await run(graph, 'listChannels', { teamId: 'no-such-team' });
    expectProblem(missing, 422, 'KRX_UPSTREAM_REJECTED');
    expect(missing.body).toMatchObject({ upstreamStatus: 404, upstreamError: 'NotFound' });
    expect(missing.body.detail).toMatch(/No team found with Group Id no-such-team \(request-id [0-9a-f-]+\)/);

    teams.throttleGraphNext(1);
    const before = teams.hits['GET /v1.0/teams'];
    expect((await run(graph, 'listTeams', {})).status).toBe(200);
    expect(teams.hits['GET /v1.0/teams'] - before).toBe(2);
    // every call so far used the token MSAL cached
    expect(teams.tokenRequests).toHaveLength(1);

    // Graph refuses the token (expired early, revoked): one new grant, the request sent again
    teams.revokeTokens();
    const again = teams.hits['GET /v1.0/teams'];
    const relisted = await run(graph, 'listTeams', { limit: 2 });
    expect(relisted.status, JSON.stringify(relisted.body)).toBe(200);
    expect(teams.hits['GET /v1.0/teams'] - again).toBe(2);
    expect(teams.tokenRequests).toHaveLength(2);
  });

  it("surfaces Graph's 403 for app-only channel posts with what to do instead", async () => {
    const sent = await run(graph, 'sendChannelMessage', {
      teamId: teams.teams[0].id,
      channelId: '19:general@thread.tacv2',
      content: '<b>hi</b>',
    });
    expectProblem(sent, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(sent.body).toMatchObject({ upstreamStatus: 403, upstreamError: 'Forbidden' });
    expect(sent.body.detail).toContain(
      'Message POST is allowed in application-only context only for import purposes',
    );
    expect(sent.body.hint).toContain('sendWorkflowMessage');
    const webhookOnly = await run(hooks, 'listTeams', {});
    expectProblem(webhookOnly, 400, 'KRX_VALIDATION_FAILED');
  });

  it("answers a refused app secret with Entra ID's error", async () => {
    const bad = await connect(
      'teams-bad-secret',
      {
        type: 'oauth2_client_credentials',
        tokenUrl: teams.tokenUrl,
        clientId: 'app-id',
        scope: 'https://graph.microsoft.com/.default',
      },
      { clientSecret: 'wrong' },
    );
    const tested = await test(bad);
    expect(tested.body).toMatchObject({
      ok: false,
      healthStatus: 'unhealthy',
      details: {
        code: 'KRX_UPSTREAM_AUTH_FAILED',
        upstreamStatus: 401,
        upstreamError: 'invalid_client',
        errorCodes: [7000215],
      },
    });
    expect(tested.body.message).toMatch(
      /^Microsoft Entra ID answered 401 invalid_client: AADSTS7000215: Invalid client secret provided\./,
    );
    expect(tested.body.message).not.toContain('wrong');
    expect(tested.body.details.traceId).toMatch(/^[0-9a-f-]{36}$/);

    const listed = await run(bad, 'listTeams', {});
    expectProblem(listed, 424, 'KRX_UPSTREAM_AUTH_FAILED');
    expect(listed.body.detail).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(JSON.stringify(listed.body)).not.toContain('wrong');
  });
});
