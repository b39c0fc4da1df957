import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, redactSecrets } from './logging.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
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
