/**
 * `ANY /webhooks/:slug`, public. Its own scope: every content type is read as raw bytes (signatures
 * are over the bytes as sent), and errors are recorded as rejections of the endpoint before the
 * problem document goes out.
 */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { KryonixError } from '../platform/errors.js';
import { sendProblem } from '../platform/http/problems.js';
import type { Webhooks } from '../webhooks/index.js';

function requestOf(request: FastifyRequest) {
  return {
    method: request.method,
    url: request.url,
    query: request.query as Record<string, string | string[] | undefined>,
    headers: request.headers,
    rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
    remoteAddress: request.socket.remoteAddress,
  };
}

export async function inboundWebhookRoutes(
  app: FastifyInstance,
  { webhooks, bodyLimit }: { webhooks: Webhooks; bodyLimit: number },
): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => done(null, body));

  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    if (error instanceof KryonixError) return sendProblem(reply, request, error);
    if (error.statusCode === 413) {
      const tooLarge = new KryonixError('KRX_PAYLOAD_TOO_LARGE', `the body exceeds ${bodyLimit} bytes`);
      const slug = (request.params as { slug?: string }).slug;
      if (slug) await webhooks.receiver.rejectedEarly(slug, requestOf(request), tooLarge);
      return sendProblem(reply, request, tooLarge);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return sendProblem(reply, request, new KryonixError('KRX_BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'inbound webhook failed');
    return sendProblem(
      reply,
      request,
      new KryonixError(
        'KRX_INTERNAL',
        'An internal error occurred; the request id identifies it in the logs',
      ),
    );
  });

  app.route<{ Params: { slug: string } }>({
    method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
    url: '/webhooks/:slug',
    bodyLimit,
    config: { access: 'public' },
    schema: {
      hide: true,
      params: {
        type: 'object',
        properties: { slug: { type: 'string', minLength: 1, maxLength: 128 } },
        required: ['slug'],
      },
    },
    handler: async (request, reply) => {
      const response = await webhooks.receiver.handle({ slug: request.params.slug, ...requestOf(request) });
      reply.code(response.status).headers(response.headers);
      const body = response.body;
      if (typeof body === 'string' || Buffer.isBuffer(body)) return reply.send(body);
      return reply.type(response.headers['content-type'] ?? 'application/json').send(JSON.stringify(body));
    },
  });
}
