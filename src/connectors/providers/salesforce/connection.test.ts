/**
 * jsforce over context.http: a PATCH jsforce builds goes out with our token (not one of jsforce's) and
 * is sent whole again after the refresh on a 401; a nextRecordsUrl to another origin is refused before
 * any request; Salesforce's error array reaches the caller as our error, not jsforce's.
 */
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
import { salesforceConnection } from './connection.js';
import { salesforceConnector } from './index.js';

describe('jsforce over context.http', () => {
  let server: RecordingServer;
  const dispatcher = new Agent();
  const auth = rotatingTokenAuth('oauth2_password', async () => ({ instance_url: server.url }));
  const context = () =>
    ({
      connection: { id: 'sf-unit', config: { apiVersion: '62.0' } },
      auth,
      http: createConnectorHttp({
        connector: salesforceConnector,
        connectionId: 'sf-unit',
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
          : json(401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]),
    });
  });
  afterAll(async () => {
    await dispatcher.close();
    await server.close();
  });
  beforeEach(() => server.reset());

  it('sends the update jsforce builds with our token, whole again after a refresh', async () => {
    auth.token = 'stale';
    server.answers.push((res) => res.writeHead(204).end());
    const connection = await salesforceConnection(context());
    const result = await connection.update('Account', { Id: '001000000000001AAA', Name: 'Olá' });
    expect(result).toMatchObject({ id: '001000000000001AAA', success: true });
    expect(server.seen.map((s) => [s.method, s.url, s.headers.authorization])).toEqual([
      ['PATCH', '/services/data/v62.0/sobjects/Account/001000000000001AAA', 'Bearer stale'],
      ['PATCH', '/services/data/v62.0/sobjects/Account/001000000000001AAA', 'Bearer fresh'],
    ]);
    expect(JSON.parse(server.seen[1].body.toString())).toEqual({ Name: 'Olá' });
    expect(server.seen[1].body).toEqual(server.seen[0].body);
  });

  it('refuses a nextRecordsUrl on another origin without calling it', async () => {
    auth.token = 'fresh';
    const connection = await salesforceConnection(context());
    const more = connection.request('http://198.51.100.7/services/data/v62.0/query/01gXYZ-200');
    await expect(more).rejects.toMatchObject({ code: 'KRX_UPSTREAM_REJECTED' });
    expect(server.seen).toHaveLength(0);
  });

  it("hands Salesforce's error array back as our error, not jsforce's", async () => {
    auth.token = 'fresh';
    server.answers.push(json(400, [{ message: "unexpected token: 'SELEKT'", errorCode: 'MALFORMED_QUERY' }]));
    const connection = await salesforceConnection(context());
    const failure = await connection.query('SELEKT Id FROM Account').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KryonixError);
    expect(failure).toMatchObject({ message: expect.stringContaining("unexpected token: 'SELEKT'") });
    expect(server.seen).toHaveLength(1);
  });
});
