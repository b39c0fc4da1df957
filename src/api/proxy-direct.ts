/**
 * The proxy route served straight from node:http, ahead of Fastify's router: the gateway's hottest
 * path does the same work (authentication, the proxy, its problem documents, the access-log line) with
 * none of the framework's per-request machinery (router, hook chains, reply object, child logger),
 * about 8 µs of a ~200 µs proxied call (bench:gateway, same-run A/B). It takes only the requests whose answer it gives
 * exactly as the Fastify route would; everything else (a connection id that is not a plain UUID, a
 * percent-encoded path, a browser request when CORS is on, shutdown) goes on to Fastify, which stays
 * the documented route and answers those.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { pipeline, Readable } from 'node:stream';
import proxyAddr from '@fastify/proxy-addr';
import type { FastifyBaseLogger } from 'fastify';
import type { GatewayProxy, ProxyResponse } from '../gateway/proxy.js';
import { isUuid } from '../platform/db/client.js';
import { type CredentialCheck, defaultAccess } from '../platform/http/authenticate.js';
import { problemFor, problemInstance } from '../platform/http/problems.js';
import { type AccessLogWriter, requestIdOf } from '../platform/logging.js';
import { callerFrom, PROXY_METHODS } from './gateway.routes.js';
import { ResponseLink } from './response-link.js';

const PREFIX = '/api/v1/proxy/';
const UUID_LENGTH = 36;
const SLASH = 47;
const METHODS: ReadonlySet<string> = new Set(PROXY_METHODS);

/** Takes a request and answers it (true), or leaves it to Fastify (false). */
export type DirectRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface DirectProxyOptions {
  proxy: GatewayProxy;
  checkCredential: CredentialCheck;
  log: FastifyBaseLogger;
  writeAccessLine: AccessLogWriter;
  trustedProxies: readonly string[];
  /** CORS applies to browser requests: those go through Fastify's CORS plugin. */
  cors: boolean;
  closing(): boolean;
}

/** Writes the answer as Fastify's reply.send would: same status, headers, length rules and body. */
function sendAnswer(
  request: IncomingMessage,
  response: ServerResponse,
  answer: ProxyResponse,
  headers: Record<string, string>,
  onStreamEnd: (error: Error | null | undefined) => void,
) {
  const status = answer.status;
  const { body } = answer;
  if (status < 200 || status === 204) {
    delete headers['content-type'];
    delete headers['content-length'];
    response.writeHead(status, headers).end();
    if (body instanceof Readable) body.resume();
    return;
  }
  if (body instanceof Readable) {
    response.writeHead(status, headers);
    // A body failing midway (the upstream went away) cuts the answer off; the record says why.
    pipeline(body, response, onStreamEnd);
    return;
  }
  headers['content-type'] ??= 'application/octet-stream';
  const length = headers['content-length'];
  if (!length || (request.method !== 'HEAD' && Number(length) !== body.length))
    headers['content-length'] = String(body.length);
  response.writeHead(status, headers).end(body);
}

export function directProxyRoute(options: DirectProxyOptions): DirectRoute {
  const { proxy, checkCredential, log, writeAccessLine } = options;
  const trusted =
    options.trustedProxies.length > 0 ? proxyAddr.compile([...options.trustedProxies]) : undefined;
  const ipOf = (request: IncomingMessage): string => {
    if (!trusted) return request.socket.remoteAddress ?? '';
    const addresses = proxyAddr.all(request, trusted);
    return addresses[addresses.length - 1];
  };

  /** As the server's onSend hook: the request id, and `connection: close` once shutdown has begun. */
  const ownHeaders = (requestId: string): Record<string, string> =>
    options.closing() ? { 'x-request-id': requestId, connection: 'close' } : { 'x-request-id': requestId };

  async function serve(
    request: IncomingMessage,
    response: ServerResponse,
    connectionId: string,
    upstreamPath: string,
  ) {
    const startedAt = performance.now();
    const requestId = requestIdOf(request);
    const ip = ipOf(request);
    const method = request.method!;
    response.once('close', () =>
      writeAccessLine({
        requestId,
        method,
        url: request.url!,
        ip,
        statusCode: response.statusCode,
        responseTime: performance.now() - startedAt,
      }),
    );
    try {
      const principal = await checkCredential(request.headers, defaultAccess(method));
      const caller = callerFrom({ principal, sourceIp: ip, requestId });
      const announced =
        request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length']) > 0;
      const answer = await proxy(caller, connectionId, {
        method,
        path: upstreamPath,
        headers: request.headers,
        // As Fastify's body parsing: a body is there when the request announces one.
        body: announced ? request : null,
        client: new ResponseLink(response),
        requestId,
      });
      const headers = { ...answer.headers, ...answer.rateLimitHeaders, ...ownHeaders(requestId) };
      sendAnswer(request, response, answer, headers, (error) => {
        // As Fastify's sendStream; a client that went away is no error of ours.
        if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
          log.warn(
            { reqId: requestId, err: error },
            'response terminated with an error with headers already sent',
          );
      });
    } catch (error) {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const problem = problemFor(error, log.child({ reqId: requestId }));
      const document = Buffer.from(JSON.stringify(problem.toProblem(problemInstance(request.url!))));
      response
        .writeHead(problem.status, {
          ...problem.headers,
          'content-type': 'application/problem+json; charset=utf-8',
          ...ownHeaders(requestId),
          'content-length': String(document.length),
        })
        .end(document);
    }
  }

  return (request, response) => {
    const url = request.url!;
    if (
      !url.startsWith(PREFIX) ||
      !METHODS.has(request.method!) ||
      options.closing() ||
      (options.cors && request.headers.origin !== undefined)
    )
      return false;
    const idEnd = PREFIX.length + UUID_LENGTH;
    // Fastify decodes a percent-encoded path before matching: such paths are left to it.
    const question = url.indexOf('?');
    const pathEnd = question < 0 ? url.length : question;
    if (url.charCodeAt(idEnd) !== SLASH || url.lastIndexOf('%', pathEnd) >= 0) return false;
    const connectionId = url.slice(PREFIX.length, idEnd);
    if (!isUuid(connectionId)) return false;
    void serve(request, response, connectionId, url.slice(idEnd));
    return true;
  };
}

/**
 * The HTTP server Fastify runs on (its `serverFactory`): requests a direct route takes never reach
 * Fastify. Timeouts as Fastify sets them on its own servers.
 */
export function serverWithDirectRoute(
  fastifyHandler: (request: IncomingMessage, response: ServerResponse) => void,
  route: () => DirectRoute | undefined,
  timeouts: { keepAliveTimeout: number; requestTimeout: number },
): http.Server {
  const server = http.createServer((request, response) => {
    if (!route()?.(request, response)) fastifyHandler(request, response);
  });
  server.keepAliveTimeout = timeouts.keepAliveTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  return server;
}
