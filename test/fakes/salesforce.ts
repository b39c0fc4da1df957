/**
 * A local Salesforce: a login server (`POST /services/oauth2/token`: password, client_credentials and
 * JWT bearer grants, answering `{access_token, instance_url, id, token_type, issued_at, signature}`
 * with no `expires_in`) and an instance server (`/services/data/vXX.X/...`) on another origin, so a
 * client must use the `instance_url` it was given. As Salesforce documents it:
 * - query: `GET .../query?q=SOQL` → `{totalSize, done, nextRecordsUrl?, records}`, batches of up to
 *   2000 (`Sforce-Query-Options: batchSize=200..2000`), `nextRecordsUrl` followed with no parameters;
 * - sObjects: POST → 201 `{id, success, errors}`, PATCH/DELETE → 204, upsert by external id → 201/200;
 * - errors are arrays `[{message, errorCode, fields?}]`; an unknown or revoked session is 401
 *   `INVALID_SESSION_ID`; an exhausted API limit is 403 `REQUEST_LIMIT_EXCEEDED`;
 * - every API answer carries `Sforce-Limit-Info: api-usage=used/max`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';

export interface FakeSalesforceOptions {
  clientId: string;
  clientSecret: string;
  username: string;
  /** Password with the security token appended, as the password grant sends it. */
  password: string;
  jwtPublicKey?: string;
  apiVersions?: string[];
  /** Accounts seeded (Name `Account 1`…). */
  accounts?: number;
  apiLimit?: number;
}

export interface FakeSalesforce {
  loginUrl: string;
  tokenUrl: string;
  instanceUrl: string;
  issued: Record<string, number>;
  /** API requests by `METHOD path` (no query). */
  hits: Record<string, number>;
  lastHeaders: http.IncomingHttpHeaders;
  records: Map<string, Record<string, unknown>>;
  /** Ends every session: the next API call answers 401 INVALID_SESSION_ID. */
  revokeSessions(): void;
  setApiUsage(used: number, max?: number): void;
  close(): Promise<void>;
}

type SObject = Record<string, unknown>;

const FIELDS: Record<string, string[]> = {
  Account: ['Id', 'Name', 'Industry', 'AnnualRevenue', 'External_Id__c', 'CreatedDate'],
  Contact: ['Id', 'FirstName', 'LastName', 'Email', 'AccountId', 'CreatedDate'],
};
const REQUIRED: Record<string, string[]> = { Account: ['Name'], Contact: ['LastName'] };
const PREFIX: Record<string, string> = { Account: '001', Contact: '003' };

const sfError = (errorCode: string, message: string, fields?: string[]) => [
  { message, errorCode, ...(fields ? { fields } : {}) },
];

/** Parses the SOQL subset the fake serves: SELECT f, g FROM T [WHERE f = 'v'] [ORDER BY f] [LIMIT n]. */
function parseSoql(q: string) {
  const match =
    /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(\w+)\s*=\s*'([^']*)')?(?:\s+ORDER\s+BY\s+(\w+))?(?:\s+LIMIT\s+(\d+))?\s*$/i.exec(
      q,
    );
  if (!match) return undefined;
  return {
    fields: match[1].split(',').map((f) => f.trim()),
    type: match[2],
    where: match[3] ? { field: match[3], value: match[4] } : undefined,
    orderBy: match[5],
    limit: match[6] ? Number(match[6]) : undefined,
  };
}

export async function startFakeSalesforce(options: FakeSalesforceOptions): Promise<FakeSalesforce> {
  const versions = options.apiVersions ?? ['60.0', '61.0', '62.0'];
  const sessions = new Set<string>();
  const issued: Record<string, number> = {};
  const hits: Record<string, number> = {};
  const records = new Map<string, SObject>();
  const deleted = new Set<string>();
  const cursors = new Map<string, { rows: SObject[]; offset: number; batch: number; version: string }>();
  let used = 0;
  let max = options.apiLimit ?? 5000;
  let seq = 0;
  const publicKey = options.jwtPublicKey ? await importSPKI(options.jwtPublicKey, 'RS256') : undefined;
  const newId = (type: string) => `${PREFIX[type]}5g0000${String(++seq).padStart(6, '0')}AAA`;
  for (let i = 1; i <= (options.accounts ?? 0); i++) {
    const id = newId('Account');
    records.set(id, {
      Id: id,
      Name: `Account ${i}`,
      Industry: i % 2 ? 'Energy' : 'Banking',
      AnnualRevenue: i * 1000,
      CreatedDate: '2024-01-01T00:00:00.000+0000',
    });
  }
  const typeOf = (id: string) => Object.entries(PREFIX).find(([, p]) => id.startsWith(p))?.[0];
  let loginUrl = '';
  let instanceUrl = '';

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve) => {
      let raw = '';
      req.on('data', (chunk) => {
        raw += chunk;
      });
      req.on('end', () => resolve(raw));
    });

  const login = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/services/oauth2/token')
      return reply(404, sfError('NOT_FOUND', 'The requested resource does not exist'));
    const form = Object.fromEntries(new URLSearchParams(raw));
    let clientId = form.client_id;
    let clientSecret = form.client_secret;
    const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''));
    if (basic)
      [clientId, clientSecret] = Buffer.from(basic[1], 'base64')
        .toString()
        .split(':')
        .map(decodeURIComponent);
    const grant = form.grant_type;
    const failure = { error: 'invalid_grant', error_description: 'authentication failure' };
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      if (!publicKey)
        return reply(400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      try {
        const { payload } = await jwtVerify(form.assertion ?? '', publicKey, {
          issuer: options.clientId,
          audience: loginUrl,
          algorithms: ['RS256'],
        });
        if (payload.sub !== options.username)
          return reply(400, {
            error: 'invalid_grant',
            error_description: "user hasn't approved this consumer",
          });
      } catch {
        return reply(400, { error: 'invalid_grant', error_description: 'invalid assertion' });
      }
    } else {
      if (clientId !== options.clientId)
        return reply(400, { error: 'invalid_client_id', error_description: 'client identifier invalid' });
      if (clientSecret !== options.clientSecret)
        return reply(400, { error: 'invalid_client', error_description: 'invalid client credentials' });
      if (grant === 'password') {
        if (form.username !== options.username || form.password !== options.password)
          return reply(400, failure);
      } else if (grant !== 'client_credentials') {
        return reply(400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      }
    }
    const token = `00D5g000000KRYX!${randomBytes(24).toString('base64url')}`;
    sessions.add(token);
    issued[grant] = (issued[grant] ?? 0) + 1;
    reply(200, {
      access_token: token,
      instance_url: instanceUrl,
      id: `${loginUrl}/id/00D5g000000KRYXEA0/0055g00000KRYXAAA`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: randomBytes(32).toString('base64'),
    });
  });

  const fake: FakeSalesforce = {
    loginUrl: '',
    tokenUrl: '',
    instanceUrl: '',
    issued,
    hits,
    lastHeaders: {},
    records,
    revokeSessions: () => sessions.clear(),
    setApiUsage(u, m) {
      used = u;
      if (m !== undefined) max = m;
    },
    close: async () => {},
  };

  const project = (record: SObject, type: string, fields?: string[]) => ({
    attributes: { type, url: `/services/data/v${versions.at(-1)}/sobjects/${type}/${record.Id}` },
    ...Object.fromEntries((fields ?? Object.keys(record)).map((f) => [f, record[f] ?? null])),
  });

  const instance = http.createServer(async (req, res) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://fake');
    hits[`${req.method} ${url.pathname}`] = (hits[`${req.method} ${url.pathname}`] ?? 0) + 1;
    fake.lastHeaders = req.headers;
    const reply = (status: number, body?: unknown) => {
      const headers: Record<string, string> = { 'sforce-limit-info': `api-usage=${used}/${max}` };
      if (body !== undefined) headers['content-type'] = 'application/json;charset=UTF-8';
      res.writeHead(status, headers);
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    if (!token || !sessions.has(token))
      return reply(401, sfError('INVALID_SESSION_ID', 'Session expired or invalid'));
    if (used >= max) return reply(403, sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'));
    used++;

    const path = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
    if (!path || !versions.includes(path[1]))
      return reply(404, sfError('NOT_FOUND', 'The requested resource does not exist'));
    const version = path[1];
    const rest = (path[2] ?? '/').replace(/\/$/, '') || '/';
    const base = `/services/data/v${version}`;

    if (req.method === 'GET' && rest === '/')
      return reply(200, {
        sobjects: `${base}/sobjects`,
        query: `${base}/query`,
        limits: `${base}/limits`,
      });

    if (req.method === 'GET' && rest === '/query') {
      const q = url.searchParams.get('q') ?? '';
      const soql = parseSoql(q);
      if (!soql)
        return reply(400, sfError('MALFORMED_QUERY', `unexpected token: '${q.split(/\s+/)[0] ?? ''}'`));
      if (!FIELDS[soql.type])
        return reply(400, sfError('INVALID_TYPE', `sObject type '${soql.type}' is not supported.`));
      const unknown = [...soql.fields, ...(soql.where ? [soql.where.field] : [])].find(
        (f) => !FIELDS[soql.type].includes(f),
      );
      if (unknown)
        return reply(400, sfError('INVALID_FIELD', `No such column '${unknown}' on entity '${soql.type}'.`));
      let rows = [...records.values()].filter((r) => typeOf(String(r.Id)) === soql.type);
      if (soql.where) rows = rows.filter((r) => String(r[soql.where!.field]) === soql.where!.value);
      if (soql.orderBy) rows.sort((a, b) => String(a[soql.orderBy!]).localeCompare(String(b[soql.orderBy!])));
      if (soql.limit !== undefined) rows = rows.slice(0, soql.limit);
      const projected = rows.map((r) => project(r, soql.type, soql.fields));
      const option = /batchSize=(\d+)/.exec(String(req.headers['sforce-query-options'] ?? ''));
      const batch = Math.min(2000, Math.max(200, option ? Number(option[1]) : 2000));
      const locator = `01g5g00000${randomBytes(4).toString('hex')}`;
      cursors.set(locator, { rows: projected, offset: 0, batch, version });
      return reply(200, page(locator));
    }
    const more = /^\/query\/(01g[0-9a-z]+)-(\d+)$/.exec(rest);
    if (req.method === 'GET' && more) {
      const cursor = cursors.get(more[1]);
      if (!cursor || cursor.offset !== Number(more[2]) || url.search !== '')
        return reply(400, sfError('INVALID_QUERY_LOCATOR', 'invalid query locator'));
      return reply(200, page(more[1]));
    }

    const sobject = /^\/sobjects\/(\w+)(?:\/(\w+))?(?:\/([^/]+))?$/.exec(rest);
    if (!sobject) return reply(404, sfError('NOT_FOUND', 'The requested resource does not exist'));
    const [, type, idOrField, externalValue] = sobject;
    if (!FIELDS[type]) return reply(404, sfError('NOT_FOUND', `The requested resource does not exist`));
    let body: SObject = {};
    if (raw !== '') {
      try {
        body = JSON.parse(raw) as SObject;
      } catch {
        return reply(400, sfError('JSON_PARSER_ERROR', 'Unexpected character while parsing the body'));
      }
      const bad = Object.keys(body).find((f) => !FIELDS[type].includes(f) || f === 'Id');
      if (bad)
        return reply(
          400,
          sfError('INVALID_FIELD', `No such column '${bad}' on sobject of type ${type}`, [bad]),
        );
    }
    const create = () => {
      const missing = REQUIRED[type].filter((f) => body[f] === undefined || body[f] === '');
      if (missing.length > 0)
        return {
          error: sfError(
            'REQUIRED_FIELD_MISSING',
            `Required fields are missing: [${missing.join(', ')}]`,
            missing,
          ),
        };
      const id = newId(type);
      records.set(id, { Id: id, ...body, CreatedDate: new Date().toISOString().replace('Z', '+0000') });
      return { id };
    };

    if (externalValue !== undefined && req.method === 'PATCH') {
      if (!FIELDS[type].includes(idOrField))
        return reply(
          404,
          sfError(
            'NOT_FOUND',
            `Provided external ID field does not exist or is not accessible: ${idOrField}`,
          ),
        );
      const value = decodeURIComponent(externalValue);
      const existing = [...records.values()].find(
        (r) => typeOf(String(r.Id)) === type && r[idOrField] === value,
      );
      if (existing) {
        Object.assign(existing, body);
        return reply(200, { id: existing.Id, success: true, errors: [], created: false });
      }
      body[idOrField] = value;
      const made = create();
      if (made.error) return reply(400, made.error);
      return reply(201, { id: made.id, success: true, errors: [], created: true });
    }
    if (idOrField === undefined) {
      if (req.method !== 'POST')
        return reply(
          405,
          sfError('METHOD_NOT_ALLOWED', `HTTP Method '${req.method}' not allowed. Allowed are GET,POST`),
        );
      const made = create();
      if (made.error) return reply(400, made.error);
      return reply(201, { id: made.id, success: true, errors: [] });
    }
    const id = idOrField;
    const record = records.get(id);
    if (!record || typeOf(id) !== type) {
      if (deleted.has(id)) return reply(404, sfError('ENTITY_IS_DELETED', 'entity is deleted'));
      return reply(404, sfError('NOT_FOUND', 'The requested resource does not exist'));
    }
    switch (req.method) {
      case 'GET': {
        const fields = url.searchParams.get('fields')?.split(',');
        const unknownField = fields?.find((f) => !FIELDS[type].includes(f));
        if (unknownField)
          return reply(
            400,
            sfError('INVALID_FIELD', `No such column '${unknownField}' on entity '${type}'.`),
          );
        return reply(
          200,
          project(record, type, fields ? ['Id', ...fields.filter((f) => f !== 'Id')] : undefined),
        );
      }
      case 'PATCH':
        Object.assign(record, body);
        return reply(204);
      case 'DELETE':
        records.delete(id);
        deleted.add(id);
        return reply(204);
      default:
        return reply(
          405,
          sfError(
            'METHOD_NOT_ALLOWED',
            `HTTP Method '${req.method}' not allowed. Allowed are GET,PATCH,DELETE`,
          ),
        );
    }
  });

  function page(locator: string) {
    const cursor = cursors.get(locator)!;
    const batch = cursor.rows.slice(cursor.offset, cursor.offset + cursor.batch);
    cursor.offset += batch.length;
    const done = cursor.offset >= cursor.rows.length;
    if (done) cursors.delete(locator);
    return {
      totalSize: cursor.rows.length,
      done,
      ...(done
        ? {}
        : { nextRecordsUrl: `/services/data/v${cursor.version}/query/${locator}-${cursor.offset}` }),
      records: batch,
    };
  }

  await new Promise<void>((resolve) => login.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => instance.listen(0, '127.0.0.1', resolve));
  loginUrl = `http://127.0.0.1:${(login.address() as AddressInfo).port}`;
  instanceUrl = `http://127.0.0.1:${(instance.address() as AddressInfo).port}`;
  fake.loginUrl = loginUrl;
  fake.tokenUrl = `${loginUrl}/services/oauth2/token`;
  fake.instanceUrl = instanceUrl;
  fake.close = async () => {
    for (const server of [login, instance])
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  };
  return fake;
}
