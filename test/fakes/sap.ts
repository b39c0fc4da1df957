/**
 * A local SAP Gateway with an OData v2 service (`/sap/opu/odata/sap/API_BUSINESS_PARTNER/`, entity set
 * A_BusinessPartner) and an OData v4 service (`/sap/opu/odata4/sap/api_product/srvd_a2x/sap/product/0001/`,
 * entity set Product), answering as SAP documents it:
 * - Basic auth, or a bearer token from `POST /oauth/token` (client credentials in a Basic header);
 * - CSRF: `x-csrf-token: Fetch` on HEAD/GET returns a token and session cookies; a write without the
 *   token and its cookies is 403 with `x-csrf-token: Required`;
 * - v2 collections `{d:{results,__count?,__next?}}` (absolute `__next`), single `{d:{__metadata,…}}`;
 *   v4 collections `{@odata.context,value,@odata.count?,@odata.nextLink?}` (relative next link), single
 *   plain; server-driven pages of `pageSize` with `$skiptoken`;
 * - errors: v2 `{error:{code,message:{lang,value},innererror:{errordetails}}}`, v4
 *   `{error:{code,message,target,details}}`; `$metadata` as EDMX XML; 429 with Retry-After on demand.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const V2_PATH = '/sap/opu/odata/sap/API_BUSINESS_PARTNER/';
export const V4_PATH = '/sap/opu/odata4/sap/api_product/srvd_a2x/sap/product/0001/';

export interface FakeSap {
  url: string;
  v2Url: string;
  v4Url: string;
  tokenUrl: string;
  partners: Map<string, Record<string, unknown>>;
  products: Map<string, Record<string, unknown>>;
  /** Requests by `METHOD pathname`. */
  hits: Record<string, number>;
  /** sap-client values seen. */
  clients: string[];
  csrfFetches: number;
  /** Every CSRF token stops working (as when the session times out). */
  expireCsrf(): void;
  rateLimitNext(seconds: number): void;
  close(): Promise<void>;
}

const PARTNER_PROPS = ['BusinessPartner', 'BusinessPartnerFullName', 'Country', 'Industry'];
const PRODUCT_PROPS = ['Product', 'ProductType', 'BaseUnit', 'Weight'];

export async function startFakeSap(
  options: {
    user?: string;
    password?: string;
    clientId?: string;
    clientSecret?: string;
    pageSize?: number;
    partners?: number;
    products?: number;
  } = {},
): Promise<FakeSap> {
  const user = options.user ?? 'KRYONIX_USER';
  const password = options.password ?? 'Welcome1!';
  const pageSize = options.pageSize ?? 50;
  const tokens = new Set<string>();
  const csrf = new Map<string, string>(); // session id → token
  const partners = new Map<string, Record<string, unknown>>();
  const products = new Map<string, Record<string, unknown>>();
  for (let i = 1; i <= (options.partners ?? 120); i++) {
    const id = String(1000 + i);
    partners.set(id, {
      BusinessPartner: id,
      BusinessPartnerFullName: `Partner ${i}`,
      Country: i % 3 === 0 ? 'DE' : 'BR',
      Industry: i % 2 ? 'RETAIL' : 'BANKING',
      to_BusinessPartnerAddress: [{ AddressID: `A${i}`, CityName: i % 3 === 0 ? 'Berlin' : 'São Paulo' }],
    });
  }
  for (let i = 1; i <= (options.products ?? 70); i++) {
    const id = `P${String(i).padStart(3, '0')}`;
    products.set(id, { Product: id, ProductType: i % 2 ? 'FERT' : 'HAWA', BaseUnit: 'EA', Weight: i });
  }
  let limited = 0;
  const fake: FakeSap = {
    url: '',
    v2Url: '',
    v4Url: '',
    tokenUrl: '',
    partners,
    products,
    hits: {},
    clients: [],
    csrfFetches: 0,
    expireCsrf: () => csrf.clear(),
    rateLimitNext(seconds) {
      limited = seconds;
    },
    close: async () => {},
  };

  const v2Error = (code: string, message: string, details: string[] = []) => ({
    error: {
      code,
      message: { lang: 'en', value: message },
      innererror: {
        application: {
          component_id: 'LO-MD-BP',
          service_namespace: '/SAP/',
          service_id: 'API_BUSINESS_PARTNER',
        },
        transactionid: randomBytes(16).toString('hex').toUpperCase(),
        errordetails: details.map((d) => ({
          code,
          message: d,
          propertyref: '',
          severity: 'error',
          target: '',
        })),
      },
    },
  });
  const v4Error = (code: string, message: string, target?: string) => ({
    error: {
      code,
      message,
      ...(target ? { target } : {}),
      details: [],
      '@SAP__common.ExceptionCategory': 'Provider_Application_Error',
    },
  });

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      const key = `${req.method} ${url.pathname}`;
      fake.hits[key] = (fake.hits[key] ?? 0) + 1;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const isText = typeof body === 'string';
        res.writeHead(status, {
          'content-type': isText
            ? (headers['content-type'] ?? 'text/plain')
            : 'application/json; charset=utf-8',
          dataserviceversion: '2.0',
          ...headers,
        });
        res.end(
          req.method === 'HEAD' || body === undefined ? undefined : isText ? body : JSON.stringify(body),
        );
      };

      if (url.pathname === '/oauth/token' && req.method === 'POST') {
        const basic = /^Basic (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
        const [id, secret] = basic
          ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
          : [];
        const form = new URLSearchParams(raw);
        if (form.get('grant_type') !== 'client_credentials')
          return send(400, { error: 'unsupported_grant_type' });
        if (id !== options.clientId || secret !== options.clientSecret)
          return send(401, { error: 'unauthorized', error_description: 'Bad credentials' });
        const token = `eyJ${randomBytes(24).toString('base64url')}`;
        tokens.add(token);
        return send(200, {
          access_token: token,
          token_type: 'bearer',
          expires_in: 43199,
          scope: 'uaa.resource',
          jti: 'x',
        });
      }

      const v2 = url.pathname.startsWith(V2_PATH) || `${url.pathname}/` === V2_PATH;
      const v4 = url.pathname.startsWith(V4_PATH) || `${url.pathname}/` === V4_PATH;
      if (!v2 && !v4) return send(404, 'Not Found');
      const error = (status: number, code: string, message: string, extra?: string[]) =>
        send(status, v2 ? v2Error(code, message, extra) : v4Error(code, message, extra?.[0]));

      const auth = String(req.headers.authorization ?? '');
      const basicOk = auth === `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const bearerOk = auth.startsWith('Bearer ') && tokens.has(auth.slice(7));
      if (!basicOk && !bearerOk) {
        res.writeHead(401, {
          'www-authenticate': 'Basic realm="SAP NetWeaver Application Server [S4H/100]"',
          'content-type': 'text/html',
        });
        return res.end('<html><body>Logon failed</body></html>');
      }
      const client = url.searchParams.get('sap-client');
      if (client) fake.clients.push(client);
      if (limited > 0) {
        const seconds = limited;
        limited = 0;
        res.writeHead(429, { 'retry-after': String(seconds), 'content-type': 'text/plain' });
        return res.end('Too Many Requests');
      }

      const root = v2 ? V2_PATH : V4_PATH;
      const rest = decodeURIComponent(url.pathname.slice(root.length - 1).replace(/^\//, ''));
      const cookies = Object.fromEntries(
        String(req.headers.cookie ?? '')
          .split(';')
          .map((c) => c.trim().split('='))
          .filter((p) => p.length === 2),
      );

      // CSRF token fetch: on the service root only.
      if (
        (req.method === 'HEAD' || req.method === 'GET') &&
        String(req.headers['x-csrf-token']).toLowerCase() === 'fetch'
      ) {
        fake.csrfFetches++;
        const session = randomBytes(12).toString('hex');
        const token = randomBytes(16).toString('base64');
        csrf.set(session, token);
        res.setHeader('set-cookie', [
          `SAP_SESSIONID_S4H_100=${session}; path=/; secure; HttpOnly; SameSite=None`,
          `sap-usercontext=sap-client=100; path=/; expires=Wed, 21 Oct 2099 07:28:00 GMT`,
        ]);
        if (rest !== '') return send(req.method === 'HEAD' ? 200 : 404, undefined, { 'x-csrf-token': token });
        return send(
          200,
          v2 ? { d: { EntitySets: ['A_BusinessPartner'] } } : { '@odata.context': '$metadata', value: [] },
          {
            'x-csrf-token': token,
          },
        );
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        const session = cookies.SAP_SESSIONID_S4H_100;
        const expected = session ? csrf.get(session) : undefined;
        if (!expected || req.headers['x-csrf-token'] !== expected) {
          res.writeHead(403, { 'x-csrf-token': 'Required', 'content-type': 'text/plain' });
          return res.end('CSRF token validation failed');
        }
      }

      if (rest === '' && req.method === 'GET')
        return send(
          200,
          v2
            ? { d: { EntitySets: ['A_BusinessPartner'] } }
            : {
                '@odata.context': '$metadata',
                value: [{ name: 'Product', kind: 'EntitySet', url: 'Product' }],
              },
        );
      if (rest === '$metadata')
        return send(
          200,
          `<?xml version="1.0" encoding="utf-8"?><edmx:Edmx Version="${v2 ? '1.0' : '4.0'}" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices><Schema Namespace="${v2 ? 'API_BUSINESS_PARTNER' : 'com.sap.product'}"><EntityContainer Name="Container"><EntitySet Name="${v2 ? 'A_BusinessPartner' : 'Product'}"/></EntityContainer></Schema></edmx:DataServices></edmx:Edmx>`,
          { 'content-type': 'application/xml' },
        );

      const set = v2 ? 'A_BusinessPartner' : 'Product';
      const store = v2 ? partners : products;
      const props = v2 ? PARTNER_PROPS : PRODUCT_PROPS;
      const keyProp = props[0];
      const match = /^(\w+)(?:\((.*)\))?$/.exec(rest);
      if (!match || match[1] !== set)
        return error(
          404,
          v2 ? '/IWBEP/CM_MGW_RT/021' : '/IWBEP/CM_V4_RUNTIME/021',
          `Resource not found for segment '${rest.split('(')[0]}'`,
        );
      const keyText = match[2];
      const keyValue =
        keyText === undefined
          ? undefined
          : /^(?:\w+=)?'((?:[^']|'')*)'$/.exec(keyText)?.[1]?.replace(/''/g, "'");
      if (keyText !== undefined && keyValue === undefined)
        return error(
          400,
          v2 ? '/IWBEP/CM_MGW_RT/004' : '/IWBEP/CM_V4_RUNTIME/004',
          `Invalid key predicate '${keyText}'`,
        );
      const uri = (id: string) => `${fake.url}${root}${set}('${id}')`;
      const shape = (entity: Record<string, unknown>, select?: string[], expand?: string[]) => {
        const out: Record<string, unknown> = {};
        if (v2)
          out.__metadata = {
            id: uri(String(entity[keyProp])),
            uri: uri(String(entity[keyProp])),
            type: `API_BUSINESS_PARTNER.${set}Type`,
          };
        for (const p of select ?? props) out[p] = entity[p] ?? null;
        for (const nav of expand ?? []) {
          const value = entity[nav] ?? [];
          out[nav] = v2 ? { results: value } : value;
        }
        if (v2 && !expand?.includes('to_BusinessPartnerAddress') && entity.to_BusinessPartnerAddress)
          out.to_BusinessPartnerAddress = {
            __deferred: { uri: `${uri(String(entity[keyProp]))}/to_BusinessPartnerAddress` },
          };
        return out;
      };
      const select = url.searchParams.get('$select')?.split(',');
      const expand = url.searchParams.get('$expand')?.split(',');
      const unknown = [...(select ?? []), ...(expand ?? [])].find(
        (p) => !props.includes(p) && p !== 'to_BusinessPartnerAddress',
      );
      if (unknown)
        return error(
          400,
          v2 ? '/IWBEP/CM_MGW_RT/022' : '/IWBEP/CM_V4_RUNTIME/022',
          `Property '${unknown}' at offset '0' is invalid`,
        );

      if (keyValue === undefined) {
        if (req.method === 'POST') {
          let body: Record<string, unknown>;
          try {
            body = JSON.parse(raw);
          } catch {
            return error(400, 'CX_SXML_PARSE_ERROR', 'Error while parsing an XML stream');
          }
          const id = String(body[keyProp] ?? '');
          if (!id)
            return error(400, v2 ? 'R1/001' : 'R1/001', `Enter a value for ${keyProp}`, [
              `${keyProp} is mandatory`,
            ]);
          if (store.has(id)) return error(400, v2 ? 'R1/002' : 'R1/002', `${set} ${id} already exists`);
          const bad = Object.keys(body).find((p) => !props.includes(p));
          if (bad) return error(400, '/IWBEP/CM_MGW_RT/022', `Property '${bad}' is invalid`);
          store.set(id, body);
          const created = shape(body);
          return send(
            201,
            v2 ? { d: created } : { '@odata.context': `$metadata#${set}/$entity`, ...created },
            {
              location: uri(id),
            },
          );
        }
        if (req.method !== 'GET')
          return error(405, '/IWBEP/CM_MGW_RT/005', `Method '${req.method}' not allowed for entity sets`);
        let rows = [...store.values()];
        const filter = url.searchParams.get('$filter');
        if (filter) {
          const f = /^(\w+) eq '([^']*)'$/.exec(filter);
          if (!f || !props.includes(f[1]))
            return error(
              400,
              v2 ? '/IWBEP/CM_MGW_RT/022' : '/IWBEP/CM_V4_RUNTIME/022',
              `Invalid filter expression: '${filter}'`,
            );
          rows = rows.filter((r) => String(r[f[1]]) === f[2]);
        }
        const orderby = url.searchParams.get('$orderby');
        if (orderby) {
          const [prop, dir] = orderby.split(' ');
          rows.sort(
            (a, b) =>
              String(a[prop]).localeCompare(String(b[prop]), 'en', { numeric: true }) *
              (dir === 'desc' ? -1 : 1),
          );
        }
        const total = rows.length;
        const skip = Number(url.searchParams.get('$skip') ?? 0);
        const top = url.searchParams.has('$top') ? Number(url.searchParams.get('$top')) : undefined;
        rows = rows.slice(skip, top === undefined ? undefined : skip + top);
        const token = Number(url.searchParams.get('$skiptoken') ?? 0);
        const page = rows.slice(token, token + pageSize);
        let next: string | undefined;
        if (token + pageSize < rows.length) {
          const params = new URLSearchParams(url.searchParams);
          params.set('$skiptoken', String(token + pageSize));
          next = v2 ? `${fake.url}${root}${set}?${params}` : `${set}?${params}`;
        }
        const items = page.map((r) => shape(r, select, expand));
        const count =
          url.searchParams.get('$inlinecount') === 'allpages' || url.searchParams.get('$count') === 'true';
        return send(
          200,
          v2
            ? {
                d: {
                  results: items,
                  ...(count ? { __count: String(total) } : {}),
                  ...(next ? { __next: next } : {}),
                },
              }
            : {
                '@odata.context': `$metadata#${set}`,
                ...(count ? { '@odata.count': total } : {}),
                value: items,
                ...(next ? { '@odata.nextLink': next } : {}),
              },
        );
      }

      const entity = store.get(keyValue);
      if (!entity)
        return error(
          404,
          v2 ? '/IWBEP/CM_MGW_RT/020' : '/IWBEP/CM_V4_RUNTIME/020',
          v2 ? `Resource not found for segment '${set}Type'` : `No entity found for key ${keyValue}`,
        );
      switch (req.method) {
        case 'GET': {
          const shaped = shape(entity, select, expand);
          return send(200, v2 ? { d: shaped } : { '@odata.context': `$metadata#${set}/$entity`, ...shaped });
        }
        case 'PATCH':
        case 'MERGE':
        case 'PUT': {
          const body = JSON.parse(raw || '{}') as Record<string, unknown>;
          const bad = Object.keys(body).find((p) => !props.includes(p) || p === keyProp);
          if (bad) return error(400, '/IWBEP/CM_MGW_RT/022', `Property '${bad}' is invalid or read-only`);
          if (req.method === 'PUT') store.set(keyValue, { [keyProp]: keyValue, ...body });
          else Object.assign(entity, body);
          return send(204, undefined);
        }
        case 'DELETE':
          store.delete(keyValue);
          return send(204, undefined);
        default:
          return error(405, '/IWBEP/CM_MGW_RT/005', `Method '${req.method}' not allowed`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.v2Url = `${fake.url}${V2_PATH}`;
  fake.v4Url = `${fake.url}${V4_PATH}`;
  fake.tokenUrl = `${fake.url}/oauth/token`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
