/**
 * The one registry of error codes. Every error the platform answers with is a KryonixError carrying
 * one of these codes; the HTTP status and the retry class come from here, never from message text.
 *
 * - user: the caller sent something wrong; never retried.
 * - operational: the world misbehaved (timeouts, upstream 5xx/429); retried by policy.
 * - unexpected: a bug; logged with its stack and answered as a plain 500.
 */
export type ErrorClass = 'user' | 'operational' | 'unexpected';

interface ErrorSpec {
  readonly status: number;
  readonly class: ErrorClass;
  readonly title: string;
}

export const ERROR_CODES = {
  KRX_BAD_REQUEST: { status: 400, class: 'user', title: 'The request is malformed' },
  KRX_VALIDATION_FAILED: { status: 400, class: 'user', title: 'The request failed validation' },
  KRX_UNSUPPORTED_MEDIA_TYPE: { status: 415, class: 'user', title: 'The content type is not supported' },
  KRX_PAYLOAD_TOO_LARGE: { status: 413, class: 'user', title: 'The request body is too large' },
  KRX_UNAUTHENTICATED: { status: 401, class: 'user', title: 'Authentication is required' },
  KRX_FORBIDDEN: { status: 403, class: 'user', title: 'The credential may not do this' },
  KRX_NOT_FOUND: { status: 404, class: 'user', title: 'The resource does not exist' },
  KRX_ROUTE_NOT_FOUND: { status: 404, class: 'user', title: 'No such route' },
  KRX_METHOD_NOT_ALLOWED: { status: 405, class: 'user', title: 'The method is not allowed here' },
  KRX_CONFLICT: { status: 409, class: 'user', title: 'The resource conflicts with an existing one' },
  KRX_CONNECTOR_NOT_FOUND: { status: 404, class: 'user', title: 'The connector does not exist' },
  KRX_CONNECTION_NOT_FOUND: { status: 404, class: 'user', title: 'The connection does not exist' },
  KRX_TENANT_NOT_FOUND: { status: 404, class: 'user', title: 'The tenant does not exist' },
  KRX_SCHEMA_INVALID: { status: 400, class: 'user', title: 'The JSON Schema is invalid' },
  KRX_EXPRESSION_INVALID: { status: 400, class: 'user', title: 'The expression does not compile' },
  KRX_TRANSFORM_FAILED: { status: 422, class: 'user', title: 'A transformation step failed' },
  KRX_PAYLOAD_INVALID: { status: 422, class: 'user', title: 'The payload does not match its schema' },
  KRX_FORMAT_INVALID: {
    status: 400,
    class: 'user',
    title: 'The content does not parse in its stated format',
  },
  KRX_LIMIT_EXCEEDED: { status: 422, class: 'user', title: 'A processing limit was exceeded' },
  KRX_RATE_LIMITED: { status: 429, class: 'operational', title: 'The rate limit is exceeded' },
  KRX_UPSTREAM_TIMEOUT: { status: 504, class: 'operational', title: 'The upstream did not answer in time' },
  KRX_UPSTREAM_UNREACHABLE: { status: 502, class: 'operational', title: 'The upstream could not be reached' },
  KRX_CIRCUIT_OPEN: {
    status: 503,
    class: 'operational',
    title: 'The connection is failing; calls are paused',
  },
  KRX_TARGET_FORBIDDEN: { status: 403, class: 'user', title: 'The target address is not allowed' },
  KRX_UNAVAILABLE: { status: 503, class: 'operational', title: 'The service is not ready' },
  KRX_ACTION_NOT_FOUND: { status: 404, class: 'user', title: 'The connector has no such action' },
  KRX_CONNECTION_INACTIVE: { status: 409, class: 'user', title: 'The connection is not active' },
  KRX_UPSTREAM_REJECTED: { status: 422, class: 'user', title: 'The upstream rejected the request' },
  KRX_UPSTREAM_AUTH_FAILED: {
    status: 424,
    class: 'user',
    title: 'The upstream refused the connection credentials',
  },
  KRX_UPSTREAM_ERROR: { status: 502, class: 'operational', title: 'The upstream answered with an error' },
  KRX_CLIENT_CLOSED_REQUEST: { status: 499, class: 'user', title: 'The client closed the request' },
  KRX_INTERNAL: { status: 500, class: 'unexpected', title: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

export class KryonixError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errorClass: ErrorClass;
  /** Extra members of the problem document (e.g. `errors`, `step`); must never hold secrets. */
  readonly extensions: Record<string, unknown>;
  /** Response headers the error needs (e.g. Retry-After). */
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    detail?: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? ERROR_CODES[code].title, { cause: options.cause });
    this.name = 'KryonixError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.errorClass = ERROR_CODES[code].class;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toProblem(instance?: string): ProblemDocument {
    const spec = ERROR_CODES[this.code];
    return {
      type: `https://kryonix.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: spec.title,
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export function isKryonixError(value: unknown): value is KryonixError {
  return value instanceof KryonixError;
}

/** Shorthand used across modules: `throw notFound('connection')`. */
export function notFound(what: string): KryonixError {
  return new KryonixError('KRX_NOT_FOUND', `${what} not found`);
}
