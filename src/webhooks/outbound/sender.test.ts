import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedDispatcher } from '../../gateway/ssrf.js';
import { parseCidrList } from '../../platform/net/cidr.js';
import { generateWebhookSecret } from '../signing/index.js';
import { READ_LIMIT, RESPONSE_BODY_LIMIT, type SendRequest, send } from './sender.js';

type Route = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const routes: Record<string, Route> = {
  '/ok': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain', 'x-answer': 'yes' });
    response.end('thanks');
  },
  '/hang': () => {},
  '/drip': (_request, response) => {
    // Headers at once, then a byte every 50 ms: each chunk is within any idle timeout, the whole is not.
    response.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => response.write('.'), 50);
    response.on('close', () => clearInterval(timer));
  },
  '/reset': (request) => request.socket.destroy(),
  '/huge': (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('x'.repeat(READ_LIMIT * 8));
  },
  '/redirect': (_request, response) => {
    response.writeHead(302, { location: '/ok' });
    response.end();
  },
};

describe('webhook sender', () => {
  let server: Server;
  let origin: string;
  const seen: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
  const dispatcher = createGuardedDispatcher({ allowedNetworks: parseCidrList('127.0.0.1/32') });
  const secret = generateWebhookSecret();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ path: request.url ?? '', headers: request.headers, body });
        routes[request.url ?? '']?.(request, response, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, overrides: Partial<SendRequest> = {}): SendRequest => ({
    url: `${origin}${path}`,
    messageId: 'msg_sender_test',
    eventType: 'test.event',
    subscriptionId: 'sub-1',
    payload: { type: 'test.event', data: { n: 1 } },
    signingSecrets: [secret],
    target: { type: 'bearer', token: 'target-token' },
    headers: { 'X-Custom': 'kept' },
    timeoutMs: 2_000,
    dispatcher,
    ...overrides,
  });

  it('posts the signed payload and records the answer, with secrets redacted from the recorded headers', async () => {
    const outcome = await send(request('/ok'));
    expect(outcome).toMatchObject({ status: 200, responseBody: 'thanks', error: null, forbidden: false });
    expect(outcome.responseHeaders?.['x-answer']).toBe('yes');
    expect(outcome.requestHeaders.authorization).toBe('[redacted]');
    expect(outcome.requestHeaders['x-custom']).toBe('kept');

    const arrived = seen.findLast((entry) => entry.path === '/ok')!;
    expect(arrived.headers.authorization).toBe('Bearer target-token');
    expect(arrived.headers['user-agent']).toBe('KRYONIX-Webhook/1.0');
    expect(arrived.headers['x-kryonix-event']).toBe('test.event');
    expect(arrived.headers['x-kryonix-subscription']).toBe('sub-1');
    expect(arrived.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret.slice('whsec_'.length)).verify(
      arrived.body,
      arrived.headers as Record<string, string>,
    );
    expect(verified).toEqual({ type: 'test.event', data: { n: 1 } });
  });

  it('bounds the whole attempt: a receiver that never answers, and one that drips its body', async () => {
    for (const path of ['/hang', '/drip']) {
      const outcome = await send(request(path, { timeoutMs: 300 }));
      expect(outcome.status, path).toBeNull();
      expect(outcome.error, path).toContain('KRX_DELIVERY_TIMEOUT');
      // Generous upper bound: the point is that the drip (a chunk every 50 ms) does not keep it alive.
      expect(outcome.durationMs, path).toBeLessThan(3_000);
    }
  });

  it('reports a reset connection as an error', async () => {
    const outcome = await send(request('/reset'));
    expect(outcome.status).toBeNull();
    expect(outcome.error).toMatch(/socket|ECONNRESET|closed/i);
    expect(outcome.forbidden).toBe(false);
  });

  it('cuts a long answer off at the read limit and keeps its status', async () => {
    const outcome = await send(request('/huge'));
    expect(outcome.status).toBe(200);
    expect(outcome.error).toBeNull();
    expect(outcome.responseBody).toHaveLength(RESPONSE_BODY_LIMIT);
    // The pool stays usable after the cut-off answer.
    expect((await send(request('/ok'))).status).toBe(200);
  });

  it('does not follow redirects', async () => {
    const before = seen.filter((entry) => entry.path === '/ok').length;
    const outcome = await send(request('/redirect'));
    expect(outcome.status).toBe(302);
    expect(outcome.responseHeaders?.location).toBe('/ok');
    expect(seen.filter((entry) => entry.path === '/ok')).toHaveLength(before);
  });

  it('marks a target the SSRF guard refuses as forbidden', async () => {
    const guarded = createGuardedDispatcher();
    try {
      const outcome = await send(request('/ok', { dispatcher: guarded }));
      expect(outcome.status).toBeNull();
      expect(outcome.forbidden).toBe(true);
      expect(outcome.error).toContain('KRX_TARGET_FORBIDDEN');
    } finally {
      await guarded.close();
    }
  });
});
