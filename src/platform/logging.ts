/**
 * Structured JSON logs (pino, through Fastify) with secrets kept out: credential-bearing headers and
 * fields are redacted, and secret-looking query parameters are masked in logged URLs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify';
import pino from 'pino';

/**
 * A key whose value is a credential, in any casing and spelling (`Authorization`, `x-api-key`,
 * `client_secret`, `clientSecret`, `privateKey`, `Set-Cookie`, `refresh_token`, ...): matched on how the
 * name ends, so `botToken` and `webhookSecret` are caught as well as `token` and `secret`.
 */
const SECRET_KEY =
  /(?:authorization|cookie|pass(?:word|wd|phrase)|secret|token|api[-_]?key|private[-_]?key|credentials?|session[-_]?id)$/i;
const CENSOR = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * How deep and how wide the walk goes: as far as pino serialises (its depthLimit 5 and edgeLimit 100),
 * one level more for the line itself, so nothing pino would write is left unwalked. What lies beyond
 * MAX_DEPTH pino writes as "[Object]"; a line with more than MAX_NODES objects is cut there.
 */
const MAX_DEPTH = 6;
const MAX_KEYS = 100;
const MAX_NODES = 1000;

/** A shallow copy that keeps an Error (or any class instance) one, with its message and stack. */
function shallowCopy(value: object): Record<string, unknown> {
  if (Array.isArray(value)) return [...value] as unknown as Record<string, unknown>;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null
    ? { ...value }
    : Object.create(proto, Object.getOwnPropertyDescriptors(value));
}

interface Walk {
  nodes: number;
}

/** `value` with its secret fields masked at any depth, copying only the objects on a changed path. */
function censor(value: object, depth: number, walk: Walk): object {
  if (++walk.nodes > MAX_NODES) return { truncated: 'too many nested objects to check for secrets' };
  let copy: Record<string, unknown> | undefined;
  let seen = 0;
  const source = value as Record<string, unknown>;
  for (const key in source) {
    if (++seen > MAX_KEYS) break; // pino writes no more than this of one object
    const inner = source[key];
    let replacement: unknown;
    if (inner === null || inner === undefined || inner === CENSOR) continue;
    if (isSecretKey(key)) replacement = CENSOR;
    else if (typeof inner !== 'object') continue;
    else if (depth >= MAX_DEPTH)
      continue; // pino writes it as "[Object]"
    else if (Buffer.isBuffer(inner) || ArrayBuffer.isView(inner)) continue;
    else {
      replacement = censor(inner, depth + 1, walk);
      if (replacement === inner) continue;
    }
    copy ??= shallowCopy(value);
    copy[key] = replacement;
  }
  // An error's cause is not enumerable, but pino's err serializer writes it.
  const cause = value instanceof Error ? value.cause : undefined;
  if (cause !== null && typeof cause === 'object' && depth < MAX_DEPTH) {
    const censored = censor(cause, depth + 1, walk);
    if (censored !== cause) {
      copy ??= shallowCopy(value);
      Object.defineProperty(copy, 'cause', { value: censored, configurable: true, writable: true });
    }
  }
  return copy ?? value;
}

/**
 * Masks secret-looking fields of a log object at any depth pino writes (`headers.authorization`,
 * `err.config.headers.Authorization`, ...), case-insensitively, copying only what it changes. Our own
 * walk instead of pino's `redact`: its paths can be neither case-insensitive nor of any depth, and with
 * wildcards pino 10 clones and walks every object-valued field of every line, which cost about a fifth
 * of a proxied call (bench:gateway). `req` and `res` are left to their serializers, which keep no
 * headers. An access line is three keys, two of them skipped: the walk costs it a regex test.
 */
export function redactSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let walk: Walk | undefined; // made only for a line with an object to walk: access lines have none
  let copy: Record<string, unknown> | undefined;
  for (const key in object) {
    const value = object[key];
    let replacement: unknown;
    if (key === 'req' || key === 'res' || value === null || value === undefined) continue;
    if (isSecretKey(key)) replacement = CENSOR;
    else if (typeof value !== 'object') continue;
    else {
      walk ??= { nodes: 0 };
      replacement = censor(value, 2, walk);
      if (replacement === value) continue;
    }
    copy ??= { ...object };
    copy[key] = replacement;
  }
  return copy ?? object;
}

const SECRET_QUERY =
  /^(api[_-]?key|key|token|access[_-]?token|secret|password|signature|sig|code|client[_-]?secret)$/i;

/** Paths whose next segment is itself a credential: the slug of an inbound webhook URL. */
const SECRET_PATH = /^(\/webhooks\/)([^/?#]{0,4})[^/?#]*/;

/** The path with a secret segment cut to its first 4 characters (enough to tell endpoints apart). */
export function redactPath(path: string): string {
  return SECRET_PATH.test(path) ? path.replace(SECRET_PATH, '$1$2…') : path;
}

/** The URL with a secret path segment shortened and the values of secret-looking query parameters masked. */
export function redactUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) return redactPath(url);
  const params = new URLSearchParams(url.slice(question + 1));
  for (const key of [...params.keys()]) if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  return `${redactPath(url.slice(0, question))}?${params.toString()}`;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Honours a well-formed incoming x-request-id so a call can be traced across services. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

export function loggerOptions(
  level: string,
  stream?: pino.DestinationStream,
): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    formatters: { log: redactSecrets },
    serializers: {
      // No headers: credentials never reach a log line through them.
      req(request: { method: string; url: string; ip?: string; id?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
      res(reply: { statusCode: number }) {
        return { statusCode: reply.statusCode };
      },
    },
  };
}

/** What the access-log line of a completed request says. */
export interface AccessLine {
  requestId: string;
  method: string;
  url: string;
  ip: string | undefined;
  statusCode: number;
  /** Milliseconds. */
  responseTime: number;
}

export type AccessLogWriter = (line: AccessLine) => void;

/**
 * Writes the "request completed" line by hand: byte for byte what pino writes for
 * `request.log.info({ req, res, responseTime }, 'request completed')` (logging.test.ts compares them),
 * for a fraction of its cost. pino's generic path (serializers, the secret-redaction walk, its
 * stringifier) took about 10 µs a line, 5% of a proxied call's CPU (bench:gateway); this line holds no
 * secret to walk for, its URL masked by redactUrl.
 */
export function accessLogWriter(stream: pino.DestinationStream, level: () => string): AccessLogWriter {
  const base = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  return (line) => {
    if (!(pino.levels.values[level()] <= pino.levels.values.info)) return;
    const ip = line.ip === undefined ? '' : `,"remoteAddress":${JSON.stringify(line.ip)}`;
    stream.write(
      `{"level":30,"time":${Date.now()}${base},"reqId":${JSON.stringify(line.requestId)},"req":{"method":${JSON.stringify(line.method)},"url":${JSON.stringify(redactUrl(line.url))}${ip}},"res":{"statusCode":${line.statusCode}},"responseTime":${line.responseTime},"msg":"request completed"}\n`,
    );
  };
}

/**
 * One access-log line per request, written when it completes (method, URL, status, time), instead of
 * Fastify's two ("incoming request" and "request completed"): each line is a JSON serialisation and a
 * write, a measurable share of a proxied call (bench:gateway). Errors and every other line stay Fastify's.
 */
export class AccessLogController extends LogController {
  constructor(private readonly writeAccessLine: AccessLogWriter) {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error)
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    else
      this.writeAccessLine({
        requestId: request.id,
        method: request.method,
        url: request.url,
        ip: request.ip,
        statusCode: reply.statusCode,
        responseTime: reply.elapsedTime,
      });
  }
}

/**
 * stdout written in blocks of up to 16 KB rather than one write per line (as nginx's access_log
 * `buffer=`): a write per request was a tenth of a proxied call's CPU (bench:gateway), and 4 KB blocks
 * still cost 9 µs a call. A line is at most a second late; what is buffered is written when the process
 * exits (pino's exit hook) or on close().
 */
export function bufferedStdout(): { stream: pino.DestinationStream; close(): void } {
  const stream = pino.destination({ dest: 1, minLength: 16 * 1024, maxWrite: 64 * 1024, sync: false });
  const timer = setInterval(() => stream.flush(), 1000);
  timer.unref();
  return {
    stream,
    close() {
      clearInterval(timer);
      stream.flush();
    },
  };
}
