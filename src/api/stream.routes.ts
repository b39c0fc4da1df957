import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatSse, STREAM_EVENT_NAMES, type StreamEventName, type StreamHub } from '../monitoring/stream.js';
import type { ApiKeyAuthenticator } from '../platform/auth/api-keys.js';
import type { JwtVerifier } from '../platform/auth/jwt.js';
import { hasTenantRole, type Principal } from '../platform/auth/principal.js';
import { KryonixError } from '../platform/errors.js';

interface StreamQuery {
  access_token?: string;
  types?: string;
}

const unauthenticated = (detail: string) =>
  new KryonixError('KRX_UNAUTHENTICATED', detail, { headers: { 'www-authenticate': 'Bearer' } });

/**
 * `GET /stream`: Server-Sent Events of the caller's tenant. Browsers' EventSource cannot send headers,
 * so besides `Authorization`/`X-API-Key` this route (and only this one) takes the key as
 * `?access_token=`; logged URLs mask that parameter (platform/logging redactUrl).
 */
export async function streamRoutes(
  app: FastifyInstance,
  deps: { monitoring: { stream: StreamHub }; apiKeys: ApiKeyAuthenticator; verifyJwt: JwtVerifier },
): Promise<void> {
  const hub = deps.monitoring.stream;

  async function principalOf(request: FastifyRequest<{ Querystring: StreamQuery }>): Promise<Principal> {
    const header = request.headers.authorization;
    let credential: string | undefined;
    if (header) {
      const [scheme, value] = header.split(' ', 2);
      if (scheme?.toLowerCase() !== 'bearer' || !value)
        throw unauthenticated('use "Authorization: Bearer <key>"');
      credential = value.trim();
    } else {
      const apiKey = request.headers['x-api-key'];
      credential = typeof apiKey === 'string' && apiKey ? apiKey.trim() : request.query.access_token;
    }
    if (!credential) throw unauthenticated('send an API key (Authorization, X-API-Key or ?access_token=)');
    if (credential.startsWith('krx_')) {
      const principal = await deps.apiKeys.authenticate(credential);
      if (!principal) throw unauthenticated('the API key is unknown, revoked or expired');
      return principal;
    }
    const verified = await deps.verifyJwt(credential);
    if ('error' in verified) throw unauthenticated(verified.error);
    return verified;
  }

  app.get<{ Querystring: StreamQuery }>(
    '/stream',
    {
      // Authenticated here, not by the platform hook, because of ?access_token=.
      config: { access: 'public' },
      schema: {
        tags: ['monitoring'],
        summary:
          'Live events of your tenant (text/event-stream): execution, delivery, health, circuit, alert',
        querystring: {
          type: 'object',
          properties: {
            access_token: { type: 'string', maxLength: 4096, description: 'The API key, for EventSource' },
            types: {
              type: 'string',
              pattern: `^(${STREAM_EVENT_NAMES.join('|')})(,(${STREAM_EVENT_NAMES.join('|')}))*$`,
              description: 'Comma-separated event names to receive (default: all)',
            },
          },
          additionalProperties: false,
        },
        response: {
          200: { type: 'string', description: 'text/event-stream' },
          401: { $ref: 'Problem#' },
          403: { $ref: 'Problem#' },
        },
      },
    },
    async (request, reply) => {
      const principal = await principalOf(request);
      if (!principal.tenantId || !hasTenantRole(principal, 'viewer')) {
        throw new KryonixError('KRX_FORBIDDEN', 'the stream needs a tenant credential (viewer or higher)');
      }
      const tenantId = principal.tenantId;
      const types = new Set((request.query.types?.split(',') ?? []) as StreamEventName[]);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id,
        ...corsHeaders(reply.getHeaders()),
      });
      raw.write(`retry: 3000\n${formatSse('ready', { tenantId })}`);
      const remove = hub.add(tenantId, {
        types,
        write(chunk) {
          raw.write(chunk);
          return raw.writableLength;
        },
        close() {
          raw.end();
        },
      });
      request.raw.on('close', remove);
    },
  );

  // Open streams would keep the server from closing.
  app.addHook('preClose', async () => hub.close());
}

/** Headers @fastify/cors already set on the reply, which a hijacked response would lose. */
function corsHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (name.startsWith('access-control-') && value !== undefined) out[name] = String(value);
  return out;
}
