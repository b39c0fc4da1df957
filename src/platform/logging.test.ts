import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AccessLogController, accessLogWriter, loggerOptions, redactSecrets } from './logging.js';

function lineCollector() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, stream };
}

function capture() {
  const { lines, stream } = lineCollector();
  const options = loggerOptions('info') as pino.LoggerOptions;
  return { logger: pino(options, stream), lines };
}

describe('log redaction', () => {
  it('masks secret fields at any depth, without touching the logged object', () => {
    const config = { clientSecret: 's3cr3t', baseUrl: 'https://x' };
    const logged = { token: 'abc', config, nested: { deeper: { password: 'two levels down' } } };
    const { logger, lines } = capture();
    logger.info(logged, 'hello');
    expect(lines[0]).toMatchObject({
      msg: 'hello',
      token: '[redacted]',
      config: { clientSecret: '[redacted]', baseUrl: 'https://x' },
      nested: { deeper: { password: '[redacted]' } },
    });
    expect(config.clientSecret).toBe('s3cr3t');
    expect(logged.token).toBe('abc');
  });

  it('masks credentials, cookies and secret fields in any casing and at every depth pino writes', () => {
    const secrets: string[] = [];
    const secret = () => {
      const value = `s3cret-${secrets.length}-${Math.random().toString(36).slice(2)}`;
      secrets.push(value);
      return value;
    };
    const fields = () => ({
      authorization: secret(),
      Authorization: secret(),
      cookie: secret(),
      'Set-Cookie': [secret()],
      'x-api-key': secret(),
      'X-API-KEY': secret(),
      'proxy-authorization': secret(),
      client_secret: secret(),
      clientSecret: secret(),
      privateKey: secret(),
      private_key: secret(),
      PASSPHRASE: secret(),
      password: secret(),
      token: secret(),
      refresh_token: secret(),
      botToken: secret(),
      secret: secret(),
      apiKey: secret(),
      API_KEY: secret(),
      credentials: { username: 'u', value: secret() },
      sessionId: secret(),
      kept: 'visible',
    });
    // The audit's line, and the same fields one to five levels down (pino writes six levels).
    const error = Object.assign(new Error('upstream failed'), {
      config: { url: 'https://x', headers: { Authorization: `Bearer ${secret()}`, Accept: 'json' } },
      response: { headers: { 'set-cookie': secret() } },
    });
    const cause = Object.assign(new Error('cause'), { headers: { Cookie: secret() } });
    const withCause = new Error('wrapped', { cause });
    const lines = capture();
    lines.logger.info({ ...fields(), headers: { authorization: secret() } }, 'audit');
    lines.logger.error({ err: error }, 'call failed');
    lines.logger.error({ err: withCause }, 'call failed');
    lines.logger.info({ a: fields(), b: [{ c: fields() }], d: { e: { f: { g: fields() } } } }, 'deep');
    lines.logger.info({ upstream: { request: { headers: { ...fields() } } } }, 'headers');

    const written = JSON.stringify(lines.lines);
    for (const value of secrets) expect(written).not.toContain(value);
    expect(lines.lines[0]).toMatchObject({ kept: 'visible', headers: { authorization: '[redacted]' } });
    expect(lines.lines[1].err).toMatchObject({
      message: 'upstream failed',
      config: { url: 'https://x', headers: { Authorization: '[redacted]', Accept: 'json' } },
    });
    expect((lines.lines[3] as any).d.e.f.g.kept).toBe('visible');
    expect((lines.lines[3] as any).d.e.f.g.credentials).toBe('[redacted]');
    // The logged objects themselves are untouched.
    expect(error.config.headers.Authorization).toMatch(/^Bearer s3cret-/);
  });

  it('does not mask fields that only look alike, and cuts a line too large to check', () => {
    expect(redactSecrets({ tokenCount: 3, maxTokens: 5, keyId: 'k', author: 'a' })).toEqual({
      tokenCount: 3,
      maxTokens: 5,
      keyId: 'k',
      author: 'a',
    });
    // A circular object ends at the depth bound instead of looping.
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    expect(() => redactSecrets({ circular })).not.toThrow();
    // More objects than the walk checks: what is past the budget is not written unchecked.
    const wide = Array.from({ length: 60 }, () =>
      Array.from({ length: 60 }, () => ({ password: 'hidden-deep' })),
    );
    expect(JSON.stringify(redactSecrets({ wide }))).not.toContain('hidden-deep');
  });

  it('masks secret properties of errors and leaves clean objects as they are', () => {
    const error = Object.assign(new Error('boom'), { accessToken: 'tok' });
    const { logger, lines } = capture();
    logger.warn({ err: error }, 'failed');
    expect(lines[0].err).toMatchObject({ message: 'boom', accessToken: '[redacted]' });
    const clean = { a: 1, b: { c: 2 } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it('logs requests without headers and with secret query values masked', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: {
          method: 'GET',
          url: '/x?token=abc&q=1',
          ip: '1.2.3.4',
          headers: { authorization: 'Bearer x' },
        },
        res: { statusCode: 200, headers: { 'set-cookie': 'a=b' } },
      },
      'request completed',
    );
    expect(lines[0].req).toEqual({
      method: 'GET',
      url: '/x?token=%5Bredacted%5D&q=1',
      remoteAddress: '1.2.3.4',
    });
    expect(lines[0].res).toEqual({ statusCode: 200 });
  });
});

describe('access log', () => {
  it('writes one line per request, when it completes, with its id, method, URL, status and time', async () => {
    const { lines, stream } = lineCollector();
    const app = Fastify({
      logger: loggerOptions('info', stream),
      logController: new AccessLogController(accessLogWriter(stream, () => 'info')),
    });
    app.get('/x', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('boom');
    });
    await app.inject({ method: 'GET', url: '/x?token=abc' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request completed',
      reqId: expect.any(String),
      req: { method: 'GET', url: '/x?token=%5Bredacted%5D' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    await app.inject({ method: 'GET', url: '/boom' });
    expect(lines.slice(1).map((line) => line.msg)).toEqual(['boom', 'request completed']);
    expect(lines[2]).toMatchObject({ req: { url: '/boom' }, res: { statusCode: 500 } });
    await app.close();
  });
});

describe('access log writer', () => {
  const rawLines = () => {
    const lines: string[] = [];
    return { lines, stream: { write: (line: string) => void lines.push(line) } };
  };
  const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');
  const line = {
    requestId: 'req-"7"',
    method: 'GET',
    url: '/api/v1/proxy/x/items?token=abc&q=caf\u00e9 "1"',
    ip: '::ffff:127.0.0.1',
    statusCode: 201,
    responseTime: 1.2345,
  };

  it("writes byte for byte the line pino writes for a request's completion", () => {
    const viaPino = rawLines();
    pino(loggerOptions('info') as pino.LoggerOptions, viaPino.stream)
      .child({ reqId: line.requestId })
      .info(
        {
          req: { method: line.method, url: line.url, ip: line.ip },
          res: { statusCode: line.statusCode },
          responseTime: line.responseTime,
        },
        'request completed',
      );
    const byHand = rawLines();
    accessLogWriter(byHand.stream, () => 'info')(line);
    expect(byHand.lines).toHaveLength(1);
    expect(withoutTime(byHand.lines[0])).toBe(withoutTime(viaPino.lines[0]));
    expect(JSON.parse(byHand.lines[0]).req.url).toContain('token=%5Bredacted%5D');
  });

  it('writes nothing when the level is above info', () => {
    const { lines, stream } = rawLines();
    let level = 'warn';
    const write = accessLogWriter(stream, () => level);
    write(line);
    level = 'silent';
    write(line);
    expect(lines).toEqual([]);
    level = 'debug';
    write(line);
    expect(lines).toHaveLength(1);
  });
});
