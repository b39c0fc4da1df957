/**
 * A local Google: the OAuth2 token endpoint (`POST /token`: refresh_token grant, and the service-account
 * JWT bearer grant with an RS256 assertion whose audience is the token URL, scope required, `sub` for
 * domain-wide delegation) and the Gmail API (`/gmail/v1/users/{userId}/…`), answering as Google
 * documents it: `{access_token, expires_in: 3599, token_type: "Bearer", scope}`, token errors
 * `{error, error_description}`, API errors `{error:{code,message,errors:[{message,domain,reason}],status}}`,
 * `pageToken`/`nextPageToken` paging with `maxResults` ≤ 500, and rate limits as 429 or 403
 * `userRateLimitExceeded` with "Retry after <time>" in the message.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';

export interface FakeGoogleOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  serviceAccount?: { email: string; publicKey: string; subject: string };
  /** Messages seeded in the mailbox. */
  messages?: number;
}

export interface StoredMail {
  id: string;
  threadId: string;
  labelIds: string[];
  raw: string;
  headers: Record<string, string>;
  internalDate: string;
}

export interface FakeGoogle {
  url: string;
  tokenUrl: string;
  issued: Record<string, number>;
  tokenRequests: Array<Record<string, string>>;
  hits: Record<string, number>;
  mailbox: StoredMail[];
  /** The next API call is refused for its rate: 429, or 403 userRateLimitExceeded. */
  rateLimitNext(status: 429 | 403, retryAfterSeconds: number): void;
  revokeAccessTokens(): void;
  /** Route handlers the Drive fake adds. */
  routes: Array<(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL) => boolean>;
  close(): Promise<void>;
}

export function googleError(status: number, reason: string, message: string, domain = 'global') {
  const statuses: Record<number, string> = {
    400: 'INVALID_ARGUMENT',
    401: 'UNAUTHENTICATED',
    403: 'PERMISSION_DENIED',
    404: 'NOT_FOUND',
    429: 'RESOURCE_EXHAUSTED',
    500: 'INTERNAL',
  };
  return {
    error: { code: status, message, errors: [{ message, domain, reason }], status: statuses[status] },
  };
}

function parseHeaders(message: string): Record<string, string> {
  const head = message.split(/\r\n\r\n/)[0];
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r\n(?![ \t])/)) {
    const index = line.indexOf(':');
    if (index > 0) headers[line.slice(0, index).toLowerCase()] ??= line.slice(index + 1).trim();
  }
  return headers;
}

export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const valid = new Set<string>();
  const saKey = options.serviceAccount
    ? await importSPKI(options.serviceAccount.publicKey, 'RS256')
    : undefined;
  let limit: { status: 429 | 403; seconds: number } | undefined;
  const fake: FakeGoogle = {
    url: '',
    tokenUrl: '',
    issued: {},
    tokenRequests: [],
    hits: {},
    mailbox: [],
    rateLimitNext(status, seconds) {
      limit = { status, seconds };
    },
    revokeAccessTokens: () => valid.clear(),
    routes: [],
    close: async () => {},
  };
  for (let i = 1; i <= (options.messages ?? 0); i++) {
    const subject = i % 4 === 0 ? `Invoice ${i}` : `Hello ${i}`;
    const raw = `From: sender${i}@example.com\r\nTo: me@kryonix.example\r\nSubject: ${subject}\r\n\r\nBody ${i}\r\n`;
    fake.mailbox.push({
      id: `18c${String(i).padStart(13, '0')}`,
      threadId: `18c${String(i).padStart(13, '0')}`,
      labelIds: ['INBOX', ...(i % 2 ? ['UNREAD'] : [])],
      raw: Buffer.from(raw).toString('base64url'),
      headers: parseHeaders(raw),
      internalDate: String(1_700_000_000_000 + i * 1000),
    });
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', fake.url);
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
        res.end(JSON.stringify(value));
      };

      if (url.pathname === '/token' && req.method === 'POST') {
        const form = Object.fromEntries(new URLSearchParams(body.toString()));
        fake.tokenRequests.push(form);
        let scope = 'https://www.googleapis.com/auth/gmail.modify';
        if (form.grant_type === 'refresh_token') {
          if (form.client_id !== options.clientId || form.client_secret !== options.clientSecret)
            return json(401, {
              error: 'invalid_client',
              error_description: 'The OAuth client was not found.',
            });
          if (form.refresh_token !== options.refreshToken)
            return json(400, {
              error: 'invalid_grant',
              error_description: 'Token has been expired or revoked.',
            });
        } else if (form.grant_type === 'urn:ietf:params:oauth:grant-type:jwt-bearer' && saKey) {
          try {
            const { payload } = await jwtVerify(form.assertion ?? '', saKey, {
              issuer: options.serviceAccount!.email,
              audience: fake.tokenUrl,
              algorithms: ['RS256'],
            });
            if (typeof payload.scope !== 'string' || payload.scope === '')
              return json(400, {
                error: 'invalid_scope',
                error_description: 'Invalid OAuth scope or ID token audience provided.',
              });
            if ((payload.exp ?? 0) - (payload.iat ?? 0) > 3600)
              return json(400, {
                error: 'invalid_grant',
                error_description:
                  'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
              });
            if (payload.sub !== undefined && payload.sub !== options.serviceAccount!.subject)
              return json(401, {
                error: 'unauthorized_client',
                error_description:
                  'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
              });
            scope = payload.scope;
          } catch (error) {
            return json(400, {
              error: 'invalid_grant',
              error_description: `Invalid JWT Signature. (${(error as Error).message})`,
            });
          }
        } else
          return json(400, {
            error: 'unsupported_grant_type',
            error_description: `Invalid grant_type: ${form.grant_type}`,
          });
        const token = `ya29.${randomBytes(24).toString('base64url')}`;
        valid.add(token);
        fake.issued[form.grant_type] = (fake.issued[form.grant_type] ?? 0) + 1;
        return json(200, { access_token: token, expires_in: 3599, token_type: 'Bearer', scope });
      }

      const key = `${req.method} ${url.pathname}`;
      fake.hits[key] = (fake.hits[key] ?? 0) + 1;
      const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!token || !valid.has(token))
        return json(
          401,
          googleError(
            401,
            'authError',
            'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
          ),
          { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
        );
      if (limit) {
        const { status, seconds } = limit;
        limit = undefined;
        const at = new Date(Date.now() + seconds * 1000).toISOString();
        return json(
          status,
          googleError(
            status,
            status === 429 ? 'rateLimitExceeded' : 'userRateLimitExceeded',
            `User-rate limit exceeded.  Retry after ${at}`,
            'usageLimits',
          ),
        );
      }
      for (const route of fake.routes) if (route(req, res, body, url)) return;

      const gmail = /^\/gmail\/v1\/users\/([^/]+)\/(.+)$/.exec(url.pathname);
      if (!gmail) return json(404, googleError(404, 'notFound', 'Not Found'));
      const [, , rest] = gmail;
      if (rest === 'profile' && req.method === 'GET')
        return json(200, {
          emailAddress: 'me@kryonix.example',
          messagesTotal: fake.mailbox.length,
          threadsTotal: fake.mailbox.length,
          historyId: '4242',
        });
      if (rest === 'messages/send' && req.method === 'POST') {
        let payload: { raw?: string; threadId?: string };
        try {
          payload = JSON.parse(body.toString());
        } catch {
          return json(400, googleError(400, 'parseError', 'Invalid JSON payload received.'));
        }
        if (typeof payload.raw !== 'string' || /[+/=]/.test(payload.raw))
          return json(
            400,
            googleError(
              400,
              'invalidArgument',
              "Invalid value at 'message.raw' (TYPE_BYTES), Base64 decoding failed",
            ),
          );
        const message = Buffer.from(payload.raw, 'base64url').toString('utf8');
        const headers = parseHeaders(message);
        if (!headers.to && !headers.cc && !headers.bcc)
          return json(400, googleError(400, 'invalidArgument', 'Recipient address required'));
        if (
          ![headers.to, headers.cc, headers.bcc]
            .filter(Boolean)
            .join(',')
            .split(',')
            .every((a) => /@/.test(a))
        )
          return json(400, googleError(400, 'invalidArgument', 'Invalid To header'));
        const id = `18d${randomBytes(6).toString('hex')}`;
        const stored = {
          id,
          threadId: payload.threadId ?? id,
          labelIds: ['SENT'],
          raw: payload.raw,
          headers,
          internalDate: String(Date.now()),
        };
        fake.mailbox.push(stored);
        return json(200, { id, threadId: stored.threadId, labelIds: stored.labelIds });
      }
      if (rest === 'messages' && req.method === 'GET') {
        const max = Math.min(500, Number(url.searchParams.get('maxResults') ?? 100));
        const q = url.searchParams.get('q') ?? '';
        const labels = url.searchParams.getAll('labelIds');
        let found = fake.mailbox.filter((m) => labels.every((l) => m.labelIds.includes(l)));
        const subject = /subject:(\S+)/.exec(q)?.[1];
        if (subject)
          found = found.filter((m) => m.headers.subject?.toLowerCase().includes(subject.toLowerCase()));
        const start = Number(url.searchParams.get('pageToken') ?? 0);
        const page = found.slice(start, start + max);
        return json(200, {
          ...(page.length > 0 ? { messages: page.map((m) => ({ id: m.id, threadId: m.threadId })) } : {}),
          ...(start + max < found.length ? { nextPageToken: String(start + max) } : {}),
          resultSizeEstimate: found.length,
        });
      }
      const one = /^messages\/([A-Za-z0-9]+)$/.exec(rest);
      if (one && req.method === 'GET') {
        const message = fake.mailbox.find((m) => m.id === one[1]);
        if (!message) return json(404, googleError(404, 'notFound', 'Requested entity was not found.'));
        const format = url.searchParams.get('format') ?? 'full';
        const text = Buffer.from(message.raw, 'base64url').toString('utf8');
        const base = {
          id: message.id,
          threadId: message.threadId,
          labelIds: message.labelIds,
          snippet: text.split(/\r\n\r\n/)[1]?.slice(0, 100) ?? '',
          historyId: '4242',
          internalDate: message.internalDate,
          sizeEstimate: text.length,
        };
        if (format === 'raw') return json(200, { ...base, raw: message.raw });
        if (format === 'minimal') return json(200, base);
        const wanted = url.searchParams.getAll('metadataHeaders').map((h) => h.toLowerCase());
        const headers = Object.entries(message.headers)
          .filter(([name]) => format !== 'metadata' || wanted.length === 0 || wanted.includes(name))
          .map(([name, value]) => ({ name: name.replace(/(^|-)\w/g, (c) => c.toUpperCase()), value }));
        return json(200, {
          ...base,
          payload: {
            mimeType: message.headers['content-type']?.split(';')[0] ?? 'text/plain',
            headers,
            ...(format === 'full'
              ? {
                  body: {
                    size: text.length,
                    data: Buffer.from(
                      text
                        .split(/\r\n\r\n/)
                        .slice(1)
                        .join('\r\n\r\n'),
                    ).toString('base64url'),
                  },
                }
              : {}),
          },
        });
      }
      return json(404, googleError(404, 'notFound', 'Not Found'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.tokenUrl = `${fake.url}/token`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
