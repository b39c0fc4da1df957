/** A small JSON API for the REST connector's tests: pagination of every kind, failures, limits, auth. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RestUpstream {
  url: string;
  hits: Record<string, number>;
  /** Last request headers by path. */
  seen: Record<string, http.IncomingHttpHeaders>;
  /** When set, /protected accepts only tokens this says are valid. */
  validToken?: (token: string | undefined) => boolean;
  close(): Promise<void>;
}

const ITEMS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));

export async function startRestUpstream(): Promise<RestUpstream> {
  const hits: Record<string, number> = {};
  const seen: Record<string, http.IncomingHttpHeaders> = {};
  const upstream: RestUpstream = { url: '', hits, seen, close: async () => {} };
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', upstream.url);
      const path = url.pathname;
      hits[path] = (hits[path] ?? 0) + 1;
      seen[path] = req.headers;
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const q = url.searchParams;
      switch (`${req.method} ${path}`) {
        case 'GET /health':
          return json(200, { status: 'up' });
        case 'GET /keyed':
          return req.headers['x-upstream-key'] === 'k-123' || q.get('api_key') === 'k-123'
            ? json(200, { ok: true })
            : json(401, { message: 'bad key' });
        case 'GET /cursor': {
          const start = Number(q.get('cursor') ?? 0);
          const limit = Number(q.get('limit') ?? 3);
          const next = start + limit < ITEMS.length ? String(start + limit) : '';
          return json(200, { data: ITEMS.slice(start, start + limit), meta: { next_cursor: next } });
        }
        case 'GET /offset': {
          const offset = Number(q.get('offset'));
          const limit = Number(q.get('limit'));
          return json(200, { results: ITEMS.slice(offset, offset + limit) });
        }
        case 'GET /pages': {
          const page = Number(q.get('page'));
          return json(200, ITEMS.slice((page - 1) * 3, page * 3));
        }
        case 'GET /linked': {
          const page = Number(q.get('p') ?? 1);
          const headers: Record<string, string> =
            page * 3 < ITEMS.length
              ? {
                  link: `<${upstream.url}/linked?p=${page + 1}>; rel="next", <${upstream.url}/linked?p=1>; rel="first"`,
                }
              : {};
          return json(200, ITEMS.slice((page - 1) * 3, page * 3), headers);
        }
        case 'GET /next': {
          const page = Number(q.get('p') ?? 1);
          return json(200, {
            value: ITEMS.slice((page - 1) * 3, page * 3),
            '@odata.nextLink': page * 3 < ITEMS.length ? `/next?p=${page + 1}` : undefined,
          });
        }
        case 'GET /evil-next':
          return json(200, { value: [1], next: 'http://127.0.0.2:1/steal' });
        case 'POST /things':
          return json(201, { id: 'new-1', received: JSON.parse(raw || 'null') });
        case 'DELETE /things/1':
          return json(204, undefined);
        case 'GET /missing':
          return json(404, { error: { code: 'not_found', message: 'no such thing' } });
        case 'GET /flaky':
          return hits[path] % 2 === 1
            ? json(503, { message: 'try again' })
            : json(200, { attempt: hits[path] });
        case 'GET /limited':
          return json(429, { message: 'slow down' }, { 'retry-after': '30' });
        case 'GET /slow':
          setTimeout(() => json(200, { late: true }), 2000).unref();
          return;
        case 'GET /protected': {
          const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
          return upstream.validToken?.(token)
            ? json(200, { me: 'service' })
            : json(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
        }
        default:
          return json(404, { message: `no route ${req.method} ${path}` });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return upstream;
}
