/**
 * MSAL's network client over context.http: the client credentials grant MSAL builds goes out through
 * our HTTP layer (SSRF guard, without the connection's auth), no discovery call is made, the token is
 * served from MSAL's cache until Graph refuses it, concurrent callers share one grant, and Entra's
 * refusals (AADSTS errors, 429 + Retry-After, a non-JSON 502) come back as our errors.
 */
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  json,
  type RecordingServer,
  startRecordingServer,
} from '../../../../test/support/recording-server.js';
import { createGuardedDispatcher } from '../../../gateway/ssrf.js';
import { parseCidrList } from '../../../platform/net/cidr.js';
import type { AuthSession } from '../../auth/types.js';
import { createConnectorHttp, ProviderLimits } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { graphToken } from './entra.js';
import { teamsConnector } from './index.js';

const granted = (token: string) =>
  json(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });

describe('MSAL network client over context.http', () => {
  let server: RecordingServer;
  /** The token requests the server saw, their form decoded. */
  const grants = () =>
    server.seen.map((request) => ({
      method: request.method,
      url: request.url,
      authorization: request.headers.authorization,
      form: Object.fromEntries(new URLSearchParams(request.body.toString())),
    }));
  let connections = 0;
  const allowed = createGuardedDispatcher({ allowedNetworks: parseCidrList('127.0.0.1/32') });
  const guarded = createGuardedDispatcher();

  // The shared auth session must not be used: the token comes from MSAL alone.
  const auth: AuthSession = {
    method: 'oauth2_client_credentials',
    apply: async () => {
      throw new Error('the shared auth helpers were asked for a token');
    },
    accessToken: async () => undefined,
    refresh: async () => false,
    tokenExtras: async () => ({}),
  };
  const context = (
    settings: { tenant?: string; clientSecret?: string; id?: string } = {},
    dispatcher: Dispatcher = allowed,
  ) => {
    const id = settings.id ?? `c${++connections}`;
    return {
      connection: {
        id,
        config: {},
        authConfig: {
          type: 'oauth2_client_credentials',
          tokenUrl: `${server.url}/${settings.tenant ?? 'contoso.onmicrosoft.com'}/oauth2/v2.0/token`,
          clientId: 'app-id',
        },
      },
      credentials: { clientSecret: settings.clientSecret ?? 'app-secret' },
      auth,
      http: createConnectorHttp({
        connector: teamsConnector,
        connectionId: id,
        auth,
        dispatcher,
        limits: new ProviderLimits(),
        signal: new AbortController().signal,
      }),
    } as unknown as ActionContext;
  };
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.unreachable('resolved'),
      (error: unknown) => error as { code: string; message: string; extensions: any; headers: any },
    );

  beforeAll(async () => {
    // an answer is given after a tick, so concurrent grants would both reach the server
    server = await startRecordingServer({ delayMs: 20 });
  });
  afterAll(async () => {
    await server.close();
    await Promise.all([allowed.close(), guarded.close()]);
  });
  beforeEach(() => server.reset());

  it("sends MSAL's grant through our transport to the tokenUrl and serves the token from MSAL's cache", async () => {
    const ctx = context();
    server.answers.push(granted('t1'));
    expect(await graphToken(ctx)).toBe('t1');
    expect(server.seen).toHaveLength(1); // no instance or OpenID discovery: the grant only
    expect(grants()[0]).toMatchObject({
      method: 'POST',
      authorization: undefined,
      form: {
        grant_type: 'client_credentials',
        client_id: 'app-id',
        client_secret: 'app-secret',
        scope: 'https://graph.microsoft.com/.default',
        'x-client-SKU': 'msal.js.node',
      },
    });
    expect(grants()[0].url).toMatch(/^\/contoso\.onmicrosoft\.com\/oauth2\/v2\.0\/token\?client-request-id=/);

    expect(await graphToken(ctx)).toBe('t1');
    expect(server.seen).toHaveLength(1);
    // Graph refused t1: a new grant, once
    server.answers.push(granted('t2'));
    expect(await graphToken(ctx, 't1')).toBe('t2');
    expect(await graphToken(ctx)).toBe('t2');
    expect(server.seen).toHaveLength(2);
  });

  it('shares one grant between concurrent callers and starts over when the secret changes', async () => {
    server.answers.push(granted('shared'));
    const ctx = context({ id: 'concurrent' });
    const tokens = await Promise.all([1, 2, 3, 4, 5].map(() => graphToken(ctx)));
    expect(tokens).toEqual(Array(5).fill('shared'));
    expect(server.seen).toHaveLength(1);

    server.answers.push(granted('rotated'));
    expect(await graphToken(context({ id: 'concurrent', clientSecret: 'new-secret' }))).toBe('rotated');
    expect(grants()[1].form.client_secret).toBe('new-secret');
  });

  it("answers Entra's AADSTS refusal as an auth failure with its description, codes and trace id", async () => {
    server.answers.push(
      json(401, {
        error: 'invalid_client',
        error_description:
          "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app 'app-id'.\r\nTrace ID: 0b6b\r\nCorrelation ID: 9f3c\r\nTimestamp: 2026-12-03 22:00:00Z",
        error_codes: [7000215],
        timestamp: '2026-12-03 22:00:00Z',
        trace_id: '0b6b',
        correlation_id: '9f3c',
        error_uri: 'https://login.microsoftonline.com/error?code=7000215',
      }),
    );
    const error = await failure(graphToken(context({ clientSecret: 'wrong' })));
    expect(error.code).toBe('KRX_UPSTREAM_AUTH_FAILED');
    expect(error.message).toMatch(
      /^Microsoft Entra ID answered 401 invalid_client: AADSTS7000215: Invalid client secret provided\. Ensure .* for a secret added to app 'app-id'\.$/,
    );
    expect(error.extensions).toMatchObject({
      upstreamStatus: 401,
      upstreamError: 'invalid_client',
      errorCodes: [7000215],
      traceId: '0b6b',
      correlationId: '9f3c',
      retryable: false,
    });
  });

  it("answers Entra's 429 as a rate limit with its Retry-After, and a non-JSON 502 as a retryable failure", async () => {
    server.answers.push(
      json(
        429,
        {
          error: 'temporarily_unavailable',
          error_description: 'AADSTS50196: The server terminated an operation.',
        },
        { 'retry-after': '7' },
      ),
    );
    const ctx = context();
    const limited = await failure(graphToken(ctx));
    expect(limited.code).toBe('KRX_RATE_LIMITED');
    expect(limited.headers['Retry-After']).toBe('7');
    expect(limited.message).toContain('AADSTS50196');
    // within the Retry-After MSAL sends nothing and says so
    const held = await failure(graphToken(ctx));
    expect(held.code).toBe('KRX_RATE_LIMITED');
    expect(held.message).toContain('MSAL holds token requests back for its Retry-After (AADSTS50196');
    expect(server.seen).toHaveLength(1);

    server.answers.push((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const broken = await failure(graphToken(context()));
    expect(broken.code).toBe('KRX_UPSTREAM_ERROR');
    expect(broken.message).toContain('the token endpoint answered no JSON object (<html>Bad Gateway</html>)');
    expect(broken.extensions.retryable).toBe(true);
  });

  it('keeps the SSRF guard on token requests and refuses a multi-tenant token URL before any request', async () => {
    const refused = await failure(graphToken(context({}, guarded)));
    expect(refused.code).toBe('KRX_TARGET_FORBIDDEN');
    const common = await failure(graphToken(context({ tenant: 'common' })));
    expect(common.code).toBe('KRX_VALIDATION_FAILED');
    expect(common.message).toContain('not common');
    expect(server.seen).toHaveLength(0);
  });
});
