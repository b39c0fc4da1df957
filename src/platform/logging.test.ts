import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AccessLogController, loggerOptions, redactSecrets } from './logging.js';

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
  it('masks secret fields at the top level and one level down, without touching the logged object', () => {
    const config = { clientSecret: 's3cr3t', baseUrl: 'https://x' };
    const logged = { token: 'abc', config, nested: { deeper: { password: 'kept: two levels down' } } };
    const { logger, lines } = capture();
    logger.info(logged, 'hello');
    expect(lines[0]).toMatchObject({
      msg: 'hello',
      token: '[redacted]',
      config: { clientSecret: '[redacted]', baseUrl: 'https://x' },
    });
    expect(config.clientSecret).toBe('s3cr3t');
    expect(logged.token).toBe('abc');
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
    const app = Fastify({ logger: loggerOptions('info', stream), logController: new AccessLogController() });
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
