/**
 * jsforce over context.http: a PATCH jsforce builds goes out with our token (not one of jsforce's) and
 * is sent whole again after the refresh on a 401; a nextRecordsUrl to another origin is refused before
 * any request; Salesforce's error array reaches the caller as our error, not jsforce's.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KryonixError } from '../../../platform/errors.js';
import type { AuthSession } from '../../auth/types.js';
import { createConnectorHttp, ProviderLimits } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { salesforceConnection } from './connection.js';
import { salesforceConnector } from './index.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('jsforce over context.http', () => {
  let server: http.Server;
  let root: string;
  const seen: Seen[] = [];
  const answers: Array<[number, unknown?]> = [];
  let token = 'stale';
  const dispatcher = new Agent();

  const auth: AuthSession = {
    method: 'oauth2_password',
    apply: async () => ({ headers: { authorization: `Bearer ${token}` }, query: {} }),
    accessToken: async () => token,
    refresh: async () => {
      token = 'fresh';
      return true;
    },
    tokenExtras: async () => ({ instance_url: root }),
  };
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
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        const [status, value] =
          req.headers.authorization === 'Bearer fresh'
            ? (answers.shift() ?? [500])
            : [401, [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]];
        res.writeHead(
          status,
          value === undefined ? {} : { 'content-type': 'application/json;charset=UTF-8' },
        );
        res.end(value === undefined ? '' : JSON.stringify(value));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await dispatcher.close();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
    answers.length = 0;
  });

  it('sends the update jsforce builds with our token, whole again after a refresh', async () => {
    token = 'stale';
    answers.push([204]);
    const connection = await salesforceConnection(context());
    const result = await connection.update('Account', { Id: '001000000000001AAA', Name: 'Olá' });
    expect(result).toMatchObject({ id: '001000000000001AAA', success: true });
    expect(seen.map((s) => [s.method, s.url, s.headers.authorization])).toEqual([
      ['PATCH', '/services/data/v62.0/sobjects/Account/001000000000001AAA', 'Bearer stale'],
      ['PATCH', '/services/data/v62.0/sobjects/Account/001000000000001AAA', 'Bearer fresh'],
    ]);
    expect(JSON.parse(seen[1].body)).toEqual({ Name: 'Olá' });
    expect(seen[1].body).toBe(seen[0].body);
  });

  it('refuses a nextRecordsUrl on another origin without calling it', async () => {
    token = 'fresh';
    const connection = await salesforceConnection(context());
    const more = connection.request('http://198.51.100.7/services/data/v62.0/query/01gXYZ-200');
    await expect(more).rejects.toMatchObject({ code: 'KRX_UPSTREAM_REJECTED' });
    expect(seen).toHaveLength(0);
  });

  it("hands Salesforce's error array back as our error, not jsforce's", async () => {
    token = 'fresh';
    answers.push([400, [{ message: "unexpected token: 'SELEKT'", errorCode: 'MALFORMED_QUERY' }]]);
    const connection = await salesforceConnection(context());
    const failure = await connection.query('SELEKT Id FROM Account').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(KryonixError);
    expect(failure).toMatchObject({ message: expect.stringContaining("unexpected token: 'SELEKT'") });
    expect(seen).toHaveLength(1);
  });
});
