/**
 * Every error leaves as an RFC 9457 problem document with a stable code. Known errors answer with
 * their registry status; Fastify's own (bad JSON, wrong content type, too large, schema validation)
 * are mapped onto the registry; anything else is a bug: logged with its stack, answered as a bare 500.
 */
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, KryonixError } from '../errors.js';
import { redactPath } from '../logging.js';

function fromFastifyError(error: FastifyError): KryonixError | undefined {
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    const errors = error.validation.map((issue) => {
      const missing = (issue.params as { missingProperty?: string }).missingProperty;
      const extra = (issue.params as { additionalProperty?: string }).additionalProperty;
      const path = `/${part}${issue.instancePath}${missing ? `/${missing}` : extra ? `/${extra}` : ''}`;
      const message = extra ? 'is not a known field' : (issue.message ?? 'is invalid');
      return { path, message };
    });
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ');
    return new KryonixError('KRX_VALIDATION_FAILED', detail, { extensions: { errors } });
  }
  const byStatus: Record<number, ErrorCode> = {
    400: 'KRX_BAD_REQUEST',
    404: 'KRX_ROUTE_NOT_FOUND',
    405: 'KRX_METHOD_NOT_ALLOWED',
    413: 'KRX_PAYLOAD_TOO_LARGE',
    415: 'KRX_UNSUPPORTED_MEDIA_TYPE',
  };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's messages for these describe the input, never internals, so they are safe to show.
    return new KryonixError(byStatus[status] ?? 'KRX_BAD_REQUEST', error.message);
  }
  return undefined;
}

/** A problem's `instance`: the request's path, without its query and with a secret segment cut. */
export function problemInstance(url: string): string {
  const question = url.indexOf('?');
  return redactPath(question < 0 ? url : url.slice(0, question));
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: KryonixError): FastifyReply {
  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/problem+json')
    .send(error.toProblem(problemInstance(request.url)));
}

/** The problem a failed request answers with: a known error as it is; anything else, a bug, is logged. */
export function problemFor(error: unknown, log: FastifyBaseLogger): KryonixError {
  const known =
    error instanceof KryonixError
      ? error
      : error instanceof Error
        ? fromFastifyError(error as FastifyError)
        : undefined;
  if (known) {
    if (known.errorClass === 'unexpected') log.error({ err: error }, 'unexpected error');
    return known;
  }
  log.error({ err: error }, 'unexpected error');
  return new KryonixError(
    'KRX_INTERNAL',
    'An internal error occurred; the request id identifies it in the logs',
  );
}

export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) =>
    sendProblem(reply, request, problemFor(error, request.log)),
  );
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      request,
      new KryonixError('KRX_ROUTE_NOT_FOUND', `no route ${request.method} ${problemInstance(request.url)}`),
    ),
  );
}
