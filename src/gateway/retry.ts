/**
 * Retry policy as data, and the loop that applies it to an upstream call.
 *
 * What is retried: network errors, timeouts and the policy's statuses (408, 429, 502, 503, 504 by default),
 * and only when repeating the request is safe: an idempotent method, or any method sent with an
 * Idempotency-Key. Failures are told apart by KryonixError class and HTTP status, never by message text;
 * raw Node/undici errors are first mapped to KryonixErrors by their `code`.
 *
 * When: exponential backoff with full jitter (a uniformly random delay below the exponential ceiling, which
 * spreads a crowd of failing callers best), or longer if the upstream's Retry-After asks for it. An upstream
 * that asks for more than `retryAfterCapMs` gets no retry from us: calling again sooner would ignore its
 * request. The whole call stays within one deadline: no sleep that would end at or past it is started.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorCode, isKryonixError, KryonixError } from '../platform/errors.js';

export interface RetryPolicy {
  /** Attempts in total, the first included: 1 means never retry. */
  readonly attempts: number;
  /** Ceiling of the first retry's random delay; it doubles with each further retry. */
  readonly baseDelayMs: number;
  /** Highest ceiling the doubling reaches. */
  readonly maxDelayMs: number;
  /** Upstream statuses that are worth another attempt. */
  readonly retryOnStatuses: readonly number[];
  /** Longest Retry-After we are willing to wait for. */
  readonly retryAfterCapMs: number;
}

/** Defaults after the seed's INTEGRATION_RETRY_ATTEMPTS=3 and INTEGRATION_RETRY_DELAY=5000. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 3,
  baseDelayMs: 5_000,
  maxDelayMs: 30_000,
  retryOnStatuses: Object.freeze([408, 429, 502, 503, 504]),
  // No point waiting longer than the default API_GATEWAY_TIMEOUT allows a whole call.
  retryAfterCapMs: 30_000,
});

/** Methods whose repetition has the same effect as one request (RFC 9110 section 9.2.2). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** Node and undici error codes of an upstream that did not answer in time or could not be reached. */
const NETWORK_ERROR_CODES: Readonly<Record<string, ErrorCode>> = {
  UND_ERR_CONNECT_TIMEOUT: 'KRX_UPSTREAM_TIMEOUT',
  UND_ERR_HEADERS_TIMEOUT: 'KRX_UPSTREAM_TIMEOUT',
  UND_ERR_BODY_TIMEOUT: 'KRX_UPSTREAM_TIMEOUT',
  ETIMEDOUT: 'KRX_UPSTREAM_TIMEOUT',
  UND_ERR_SOCKET: 'KRX_UPSTREAM_UNREACHABLE',
  ECONNRESET: 'KRX_UPSTREAM_UNREACHABLE',
  ECONNREFUSED: 'KRX_UPSTREAM_UNREACHABLE',
  ECONNABORTED: 'KRX_UPSTREAM_UNREACHABLE',
  EPIPE: 'KRX_UPSTREAM_UNREACHABLE',
  EHOSTUNREACH: 'KRX_UPSTREAM_UNREACHABLE',
  ENETUNREACH: 'KRX_UPSTREAM_UNREACHABLE',
  ENOTFOUND: 'KRX_UPSTREAM_UNREACHABLE',
  EAI_AGAIN: 'KRX_UPSTREAM_UNREACHABLE',
};

/** Builds a policy from partial settings (a connection's retry config), validating every field. */
export function retryPolicy(settings: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY, ...settings };
  const requireWhole = (field: keyof RetryPolicy, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        `retry ${field} must be a whole number of at least ${min}`,
        {
          extensions: { field },
        },
      );
    }
  };
  requireWhole('attempts', policy.attempts, 1);
  requireWhole('baseDelayMs', policy.baseDelayMs, 0);
  requireWhole('maxDelayMs', policy.maxDelayMs, policy.baseDelayMs);
  requireWhole('retryAfterCapMs', policy.retryAfterCapMs, 0);
  for (const status of policy.retryOnStatuses) {
    if (!Number.isInteger(status) || status < 100 || status > 599) {
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        'retry retryOnStatuses must hold HTTP statuses (100-599)',
        {
          extensions: { field: 'retryOnStatuses' },
        },
      );
    }
  }
  return Object.freeze({ ...policy, retryOnStatuses: Object.freeze([...policy.retryOnStatuses]) });
}

/**
 * The KryonixError for a failed upstream call: KryonixErrors as they are, Node/undici network errors (also
 * when wrapped as a `cause`, as fetch does) as KRX_UPSTREAM_TIMEOUT / KRX_UPSTREAM_UNREACHABLE, a timeout
 * signal's TimeoutError as KRX_UPSTREAM_TIMEOUT, anything else as KRX_INTERNAL (a bug: never retried).
 */
export function toUpstreamError(error: unknown): KryonixError {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (isKryonixError(current)) return current;
    const code = (current as NodeJS.ErrnoException).code;
    const mapped = code === undefined ? undefined : NETWORK_ERROR_CODES[code];
    if (mapped !== undefined) return new KryonixError(mapped, undefined, { cause: error });
    if (current.name === 'TimeoutError')
      return new KryonixError('KRX_UPSTREAM_TIMEOUT', undefined, { cause: error });
    current = current.cause;
  }
  return new KryonixError('KRX_INTERNAL', undefined, { cause: error });
}

export interface RetryCandidate {
  readonly method: string;
  readonly idempotencyKey?: string | null;
  /** What the attempt threw, if it threw. */
  readonly error?: unknown;
  /** The upstream's status, if it answered. */
  readonly status?: number;
}

/** Whether a failed attempt may be repeated under the policy. */
export function isRetryable(candidate: RetryCandidate, policy: RetryPolicy = DEFAULT_RETRY_POLICY): boolean {
  const repeatable =
    IDEMPOTENT_METHODS.has(candidate.method.toUpperCase()) ||
    (candidate.idempotencyKey !== undefined &&
      candidate.idempotencyKey !== null &&
      candidate.idempotencyKey !== '');
  if (!repeatable) return false;
  if (candidate.error !== undefined) return toUpstreamError(candidate.error).errorClass === 'operational';
  return candidate.status !== undefined && policy.retryOnStatuses.includes(candidate.status);
}

/**
 * Delay before retry number `retry` (1 for the first retry): full jitter, a uniform random value in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))).
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  // The exponent is bounded so the product stays finite (0 * Infinity would be NaN).
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(Math.max(retry - 1, 0), 32));
  return Math.floor(random() * ceiling);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;

/** The three HTTP-date forms recipients must accept (RFC 9110 section 5.6.7), each with its field order. */
const HTTP_DATE_FORMS: ReadonlyArray<{
  pattern: RegExp;
  fields: readonly ('d' | 'mon' | 'y' | 'h' | 'm' | 's')[];
}> = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  {
    pattern: new RegExp(`^[A-Z][a-z]{2}, (\\d{2}) ${MONTH} (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`),
    fields: ['d', 'mon', 'y', 'h', 'm', 's'],
  },
  // rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT
  {
    pattern: new RegExp(`^[A-Z][a-z]{5,8}, (\\d{2})-${MONTH}-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`),
    fields: ['d', 'mon', 'y', 'h', 'm', 's'],
  },
  // asctime-date: Sun Nov  6 08:49:37 1994
  {
    pattern: new RegExp(`^[A-Z][a-z]{2} ${MONTH} ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`),
    fields: ['mon', 'd', 'h', 'm', 's', 'y'],
  },
];

/** Milliseconds since the epoch of an HTTP-date, or undefined if the text is not one. */
function parseHttpDate(text: string, now: number): number | undefined {
  for (const form of HTTP_DATE_FORMS) {
    const match = form.pattern.exec(text);
    if (match === null) continue;
    const parts = Object.fromEntries(form.fields.map((field, index) => [field, match[index + 1]]));
    const month = MONTHS.indexOf(parts.mon);
    const [day, hour, minute, second] = [parts.d, parts.h, parts.m, parts.s].map((part) =>
      Number(part.trim()),
    );
    let year = Number(parts.y);
    if (parts.y.length === 2) {
      // RFC 9110: a two-digit year more than 50 years ahead is the most recent past year with those digits.
      const currentYear = new Date(now).getUTCFullYear();
      year += currentYear - (currentYear % 100);
      if (year > currentYear + 50) year -= 100;
    }
    const time = Date.UTC(year, month, day, hour, minute, second);
    const date = new Date(time);
    // Date.UTC rolls 31 Feb over into March; an impossible date is not a date.
    if (date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) return undefined;
    return time;
  }
  return undefined;
}

/**
 * Milliseconds to wait according to a Retry-After value (delay-seconds or HTTP-date), at most `capMs`; a date
 * in the past means 0. Undefined when there is no valid value.
 */
export function parseRetryAfter(
  value: string | readonly string[] | null | undefined,
  now: number,
  capMs = Number.POSITIVE_INFINITY,
): number | undefined {
  const text = (typeof value === 'string' ? value : value?.[0])?.trim();
  if (text === undefined || text === '') return undefined;
  let delayMs: number | undefined;
  if (/^\d+$/.test(text)) delayMs = Number(text) * 1000;
  else {
    const date = parseHttpDate(text, now);
    if (date !== undefined) delayMs = Math.max(0, date - now);
  }
  return delayMs === undefined ? undefined : Math.min(delayMs, capMs);
}

/** Time and waiting, injectable so tests run without real sleeps. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }),
});

export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Time left before the overall deadline: the attempt's own timeout must not exceed it. */
  readonly remainingMs: number;
}

export interface RetryOptions<T> {
  readonly method: string;
  readonly idempotencyKey?: string | null;
  /** Clock time (ms) by which the whole call, retries and waits included, must be over. */
  readonly deadline: number;
  /** The caller gave up: stop at once, also in the middle of a wait. */
  readonly signal?: AbortSignal | Cancellation;
  /** Reads an upstream answer's status and Retry-After, so a 503 answer is retried though nothing threw. */
  readonly responseOf?: (result: T) => { readonly status: number; readonly retryAfter?: string | null };
  /** Frees an answer that is about to be retried, e.g. drains an undici body so its socket is reused. */
  readonly release?: (result: T) => unknown;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/**
 * A cancellation that makes its AbortSignal only when a wait needs one: most calls never wait, and an
 * AbortController per call is a measurable share of the proxy's hot path.
 */
export interface Cancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  toSignal(): AbortSignal;
}

export type RetryOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly retries: number }
  | { readonly ok: false; readonly error: unknown; readonly retries: number };

/**
 * Runs `attempt` until it succeeds, fails for good, the policy's attempts are spent, or the deadline leaves no
 * room for another wait. A last retryable answer (say a 503) is returned as a value: upstream statuses are
 * results, not errors. Failures are KryonixErrors (see `toUpstreamError`), or the signal's reason on abort.
 * Never throws.
 */
export async function retryWithPolicy<T>(
  attempt: (context: AttemptContext) => Promise<T>,
  policy: RetryPolicy,
  options: RetryOptions<T>,
): Promise<RetryOutcome<T>> {
  const clock = options.clock ?? systemClock;
  const { signal, deadline } = options;
  const repeatability = { method: options.method, idempotencyKey: options.idempotencyKey };
  const aborted = (retries: number): RetryOutcome<T> => ({ ok: false, error: signal?.reason, retries });

  for (let number = 1; ; number++) {
    const retries = number - 1;
    if (signal?.aborted) return aborted(retries);
    const remainingMs = deadline - clock.now();
    if (remainingMs <= 0) return { ok: false, error: new KryonixError('KRX_UPSTREAM_TIMEOUT'), retries };

    let stop: RetryOutcome<T>;
    let retryable: boolean;
    let retryAfter: string | null | undefined;
    let discard: (() => unknown) | undefined;
    try {
      const value = await attempt({ attempt: number, remainingMs });
      const response = options.responseOf?.(value);
      stop = { ok: true, value, retries };
      // The status first: almost every answer is not one worth retrying, whatever the method.
      retryable =
        response !== undefined &&
        policy.retryOnStatuses.includes(response.status) &&
        isRetryable({ ...repeatability, status: response.status }, policy);
      retryAfter = response?.retryAfter;
      discard = () => options.release?.(value);
    } catch (thrown) {
      if (signal?.aborted) return aborted(retries);
      const error = toUpstreamError(thrown);
      stop = { ok: false, error, retries };
      retryable = isRetryable({ ...repeatability, error }, policy);
      retryAfter = error.headers['Retry-After'];
    }
    if (!retryable || number >= policy.attempts) return stop;

    const retryAfterMs = parseRetryAfter(retryAfter, clock.now());
    if (retryAfterMs !== undefined && retryAfterMs > policy.retryAfterCapMs) return stop;
    const delayMs = Math.max(backoffDelay(number, policy, options.random), retryAfterMs ?? 0);
    if (clock.now() + delayMs >= deadline) return stop;

    // Draining is a courtesy to the connection pool: a body that will not drain must not fail the call.
    await Promise.resolve()
      .then(discard)
      .catch(() => undefined);
    try {
      await clock.sleep(delayMs, signal && 'toSignal' in signal ? signal.toSignal() : signal);
    } catch {
      return aborted(retries);
    }
  }
}
