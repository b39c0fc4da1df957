/**
 * A local Microsoft Teams surface, answering as Microsoft documents it:
 * - Entra ID v2.0 token endpoint `POST /{tenant}/oauth2/v2.0/token` (client_credentials, scope
 *   `https://graph.microsoft.com/.default`) → `{token_type, expires_in, ext_expires_in, access_token}`,
 *   errors `{error, error_description: "AADSTS…: …\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …",
 *   error_codes, timestamp, trace_id, correlation_id, error_uri}` (e.g. 401 invalid_client AADSTS7000215),
 *   `no-store` and the `client-request-id` echoed;
 * - Graph `/v1.0/teams` (`$top`, absolute `@odata.nextLink`), `/v1.0/teams/{id}/channels`, and channel
 *   message POST answering 403 "Message POST is allowed in application-only context only for import
 *   purposes" to app-only tokens; errors `{error:{code,message,innerError:{date,request-id}}}`, 429 +
 *   Retry-After on demand;
 * - a Workflows webhook (Adaptive Card envelope → 202) and a legacy connector webhook (MessageCard →
 *   200 `1`; 400 `Summary or Text is required.`; throttled: 200 with an error text).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeTeams {
  url: string;
  tokenUrl: string;
  workflowUrl: string;
  connectorUrl: string;
  graphUrl: string;
  posted: Array<{ via: 'workflow' | 'connector'; payload: any }>;
  hits: Record<string, number>;
  /** Forms the token endpoint received, without client_secret (MSAL adds x-client-SKU and others). */
  tokenRequests: Array<Record<string, string>>;
  /** Graph then answers 401 to every token issued so far (as to expired ones). */
  revokeTokens(): void;
  throttleGraphNext(seconds: number): void;
  throttleConnectorNext(): void;
  close(): Promise<void>;
}

export async function startFakeTeams(options: {
  tenant: string;
  clientId: string;
  clientSecret: string;
  teams?: number;
}) {
  const tokens = new Set<string>();
  const teams = Array.from({ length: options.teams ?? 5 }, (_, i) => ({
    id: randomUUID(),
    displayName: `Team ${i + 1}`,
    description: `Team number ${i + 1}`,
  }));
  let graphThrottle = 0;
  let connectorThrottle = false;
  const fake: FakeTeams = {
    url: '',
    tokenUrl: '',
    workflowUrl: '',
    connectorUrl: '',
    graphUrl: '',
    posted: [],
    hits: {},
    tokenRequests: [],
    revokeTokens() {
      tokens.clear();
    },
    throttleGraphNext(seconds) {
      graphThrottle = seconds;
    },
    throttleConnectorNext() {
      connectorThrottle = true;
    },
    close: async () => {},
  };
  const graphError = (
    res: http.ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(
      JSON.stringify({
        error: {
          code,
          message,
          innerError: {
            date: new Date().toISOString(),
            'request-id': randomUUID(),
            'client-request-id': randomUUID(),
          },
        },
      }),
    );
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      fake.hits[`${req.method} ${url.pathname}`] = (fake.hits[`${req.method} ${url.pathname}`] ?? 0) + 1;
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(body));
      };
      const text = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      };

      const tenant = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(url.pathname)?.[1];
      if (tenant && req.method === 'POST') {
        const form = Object.fromEntries(new URLSearchParams(raw));
        const { client_secret: _secret, ...seen } = form;
        fake.tokenRequests.push(seen);
        const aad = (status: number, error: string, description: string, code: number) => {
          const now = new Date();
          const traceId = randomUUID();
          const correlationId = url.searchParams.get('client-request-id') ?? randomUUID();
          const stamp = `${now.toISOString().slice(0, 19).replace('T', ' ')}Z`;
          res.writeHead(status, {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'no-store, no-cache',
            pragma: 'no-cache',
            'x-ms-request-id': traceId,
            'client-request-id': correlationId,
          });
          res.end(
            JSON.stringify({
              error,
              error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${stamp}`,
              error_codes: [code],
              timestamp: stamp,
              trace_id: traceId,
              correlation_id: correlationId,
              error_uri: `https://login.microsoftonline.com/error?code=${code}`,
            }),
          );
        };
        if (tenant !== options.tenant)
          return aad(
            400,
            'invalid_request',
            `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
            90002,
          );
        if (form.grant_type !== 'client_credentials')
          return aad(400, 'unsupported_grant_type', 'The provided grant type is not supported.', 70003);
        if (form.client_id !== options.clientId)
          return aad(
            400,
            'unauthorized_client',
            `Application with identifier '${form.client_id}' was not found in the directory.`,
            700016,
          );
        if (form.client_secret !== options.clientSecret)
          return aad(
            401,
            'invalid_client',
            `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${options.clientId}'.`,
            7000215,
          );
        if (form.scope !== 'https://graph.microsoft.com/.default')
          return aad(
            400,
            'invalid_scope',
            `The provided value for the input parameter 'scope' is not valid.`,
            70011,
          );
        const token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
        tokens.add(token);
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store, no-cache',
          pragma: 'no-cache',
        });
        return res.end(
          JSON.stringify({
            token_type: 'Bearer',
            expires_in: 3599,
            ext_expires_in: 3599,
            access_token: token,
          }),
        );
      }

      if (url.pathname.startsWith('/workflows/')) {
        if (url.searchParams.get('sig') !== 'good-signature')
          return json(401, {
            error: {
              code: 'DirectApiAuthorizationRequired',
              message: 'The request must be authenticated only by Shared Access scheme.',
            },
          });
        let payload: any;
        try {
          payload = JSON.parse(raw);
        } catch {
          return json(400, {
            error: { code: 'InvalidRequestContent', message: 'The request content is not valid JSON.' },
          });
        }
        const attachment = payload?.attachments?.[0];
        if (
          payload?.type !== 'message' ||
          attachment?.contentType !== 'application/vnd.microsoft.card.adaptive' ||
          attachment?.content?.type !== 'AdaptiveCard'
        )
          return json(400, {
            error: {
              code: 'TriggerInputSchemaMismatch',
              message:
                "The input body for trigger 'manual' of type 'Request' did not match its schema definition.",
            },
          });
        fake.posted.push({ via: 'workflow', payload });
        res.writeHead(202, { 'content-length': '0' });
        return res.end();
      }

      if (url.pathname.startsWith('/webhookb2/')) {
        let payload: any;
        try {
          payload = JSON.parse(raw);
        } catch {
          return text(400, 'Bad payload received by generic incoming webhook.');
        }
        if (connectorThrottle) {
          connectorThrottle = false;
          return text(
            200,
            'Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-production-eus-azsc2-4-170,cv=deadbeef.0..',
          );
        }
        if (!payload.text && !payload.summary) return text(400, 'Summary or Text is required.');
        fake.posted.push({ via: 'connector', payload });
        return text(200, '1');
      }

      if (!url.pathname.startsWith('/v1.0/'))
        return graphError(res, 404, 'BadRequest', `Resource not found for the segment '${url.pathname}'.`);
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!token) return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
      if (!tokens.has(token))
        return graphError(
          res,
          401,
          'InvalidAuthenticationToken',
          'Access token validation failure. Invalid audience.',
        );
      if (graphThrottle > 0) {
        const seconds = graphThrottle;
        graphThrottle = 0;
        return graphError(res, 429, 'TooManyRequests', 'Too many requests', {
          'retry-after': String(seconds),
        });
      }
      if (url.pathname === '/v1.0/teams' && req.method === 'GET') {
        const top = Number(url.searchParams.get('$top') ?? 100);
        const skip = Number(url.searchParams.get('$skiptoken') ?? 0);
        const page = teams.slice(skip, skip + top);
        const next =
          skip + top < teams.length
            ? `${fake.graphUrl}/v1.0/teams?$top=${top}&$skiptoken=${skip + top}`
            : undefined;
        return json(200, {
          '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#teams',
          value: page,
          ...(next ? { '@odata.nextLink': next } : {}),
        });
      }
      const channels = /^\/v1\.0\/teams\/([^/]+)\/channels(?:\/([^/]+)\/messages)?$/.exec(url.pathname);
      if (channels) {
        const team = teams.find((t) => t.id === channels[1]);
        if (!team) return graphError(res, 404, 'NotFound', `No team found with Group Id ${channels[1]}`);
        if (!channels[2] && req.method === 'GET')
          return json(200, {
            '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#teams('${team.id}')/channels`,
            '@odata.count': 2,
            value: [
              { id: '19:general@thread.tacv2', displayName: 'General', membershipType: 'standard' },
              { id: '19:ops@thread.tacv2', displayName: 'Ops', membershipType: 'standard' },
            ],
          });
        if (channels[2] && req.method === 'POST')
          return graphError(
            res,
            403,
            'Forbidden',
            'Message POST is allowed in application-only context only for import purposes. Refer to https://docs.microsoft.com/microsoftteams/platform/graph-api/import-messages/import-external-messages-to-teams for more details.',
          );
      }
      return graphError(res, 400, 'BadRequest', `Unsupported request: ${req.method} ${url.pathname}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.graphUrl = fake.url;
  fake.tokenUrl = `${fake.url}/${options.tenant}/oauth2/v2.0/token`;
  fake.workflowUrl = `${fake.url}/workflows/4f1c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=good-signature`;
  fake.connectorUrl = `${fake.url}/webhookb2/aaaa@tenant/IncomingWebhook/bbbb/cccc`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.assign(fake, { teams });
}
