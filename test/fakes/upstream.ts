/**
 * A local upstream API for gateway tests: echoes what arrives (so tests can see injected
 * credentials), fails on demand, answers with cache headers and validators, counts concurrency and
 * streams large bodies both ways.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamFake {
  url: string;
  hits: Map<string, number>;
  /** Highest number of requests in flight at once, per path. */
  maxInFlight: Map<string, number>;
  lastRequest: { headers: http.IncomingHttpHeaders; url: string } | undefined;
  reset(): void;
  close(): Promise<void>;
}

export async function startUpstream(): Promise<UpstreamFake> {
  const hits = new Map<string, number>();
  const inFlight = new Map<string, number>();
  const maxInFlight = new Map<string, number>();
  const failures = new Map<string, number>();
  const state: { lastRequest: UpstreamFake['lastRequest'] } = { lastRequest: undefined };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    const path = url.pathname.replace(/^\/base/, '');
    hits.set(path, (hits.get(path) ?? 0) + 1);
    inFlight.set(path, (inFlight.get(path) ?? 0) + 1);
    maxInFlight.set(path, Math.max(maxInFlight.get(path) ?? 0, inFlight.get(path)!));
    res.on('close', () => inFlight.set(path, inFlight.get(path)! - 1));
    state.lastRequest = { headers: req.headers, url: req.url ?? '' };
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

    if (path === '/upload') {
      let bytes = 0;
      for await (const chunk of req) bytes += (chunk as Buffer).length;
      return json(200, { bytes });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');

    if (path.startsWith('/echo'))
      return json(200, { method: req.method, url: req.url, headers: req.headers, body });
    if (path.startsWith('/status/')) {
      const headers: Record<string, string> = {};
      if (url.searchParams.has('retryAfter')) headers['retry-after'] = url.searchParams.get('retryAfter')!;
      return json(Number(path.split('/')[2]), { error: 'as requested' }, headers);
    }
    if (path === '/flaky') {
      const key = url.searchParams.get('key') ?? 'default';
      const failed = failures.get(key) ?? 0;
      if (failed < Number(url.searchParams.get('fails') ?? 1)) {
        failures.set(key, failed + 1);
        return json(
          503,
          { error: 'try again' },
          { 'retry-after': url.searchParams.get('retryAfter') ?? '0' },
        );
      }
      return json(200, { ok: true, attempts: failed + 1 });
    }
    if (path === '/etag') {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"', 'cache-control': 'max-age=0' });
        return res.end();
      }
      return json(200, { version: 1 }, { etag: '"v1"', 'cache-control': 'max-age=0' });
    }
    if (path === '/cacheable') return json(200, { n: hits.get(path) }, { 'cache-control': 'max-age=60' });
    if (path === '/no-store') return json(200, { n: hits.get(path) }, { 'cache-control': 'no-store' });
    if (path === '/vary')
      return json(
        200,
        { lang: req.headers['accept-language'] ?? null, n: hits.get(path) },
        { 'cache-control': 'max-age=60', vary: 'accept-language' },
      );
    if (path === '/slow') {
      await new Promise((resolve) => setTimeout(resolve, Number(url.searchParams.get('ms') ?? 50)));
      return json(200, { slept: true });
    }
    if (path === '/download') {
      const total = Number(url.searchParams.get('bytes') ?? 0);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const block = Buffer.alloc(1024 * 1024, 7);
      let sent = 0;
      while (sent < total) {
        const piece = block.subarray(0, Math.min(block.length, total - sent));
        sent += piece.length;
        if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
      }
      return res.end();
    }
    if (path === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? 'http://169.254.169.254/' });
      return res.end();
    }
    return json(404, { error: 'no such path', path });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    maxInFlight,
    get lastRequest() {
      return state.lastRequest;
    },
    reset() {
      hits.clear();
      maxInFlight.clear();
      failures.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
