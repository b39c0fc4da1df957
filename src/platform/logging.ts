/**
 * Structured JSON logs (pino, through Fastify) with secrets kept out: credential-bearing headers and
 * fields are redacted, and secret-looking query parameters are masked in logged URLs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

const SECRET_FIELDS = [
  'password',
  'secret',
  'token',
  'apiKey',
  'clientSecret',
  'refreshToken',
  'accessToken',
  'credentials',
  'secretKey',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

const SECRET_QUERY =
  /^(api[_-]?key|key|token|access[_-]?token|secret|password|signature|sig|code|client[_-]?secret)$/i;

/** The URL with the values of secret-looking query parameters masked. */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  return `${url.slice(0, question)}?${params.toString()}`;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Honours a well-formed incoming x-request-id so a call can be traced across services. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      req(request: { method: string; url: string; ip?: string; id?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
