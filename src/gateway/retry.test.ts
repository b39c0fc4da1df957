import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import { KryonixError } from '../platform/errors.js';
import {
  type AttemptContext,
  backoffDelay,
  type Clock,
  DEFAULT_RETRY_POLICY,
  isRetryable,
  parseRetryAfter,
  type RetryPolicy,
  retryPolicy,
  retryWithPolicy,
  systemClock,
  toUpstreamError,
} from './retry.js';

const START = Date.UTC(2026, 0, 15, 12, 0, 0);

/** A clock whose sleeps return at once and move time forward by exactly what was asked. */
function fakeClock(start = START) {
  let now = start;
  const sleeps: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
  return { clock, sleeps, advance: (ms: number) => (now += ms), now: () => now };
}

interface FakeResponse {
  status: number;
  retryAfter?: string;
}

const responseOf = (response: FakeResponse) => response;

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error('socket trouble'), { code });
}

const policy: RetryPolicy = retryPolicy({
  attempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1_000,
  retryAfterCapMs: 10_000,
});

describe('retryPolicy', () => {
  it('fills in the defaults and freezes the result', () => {
    const built = retryPolicy({ attempts: 5 });
    expect(built).toEqual({ ...DEFAULT_RETRY_POLICY, attempts: 5 });
    expect(Object.isFrozen(built)).toBe(true);
    expect(Object.isFrozen(built.retryOnStatuses)).toBe(true);
    expect(DEFAULT_RETRY_POLICY.retryOnStatuses).toEqual([408, 429, 502, 503, 504]);
  });

  it.each<[Partial<RetryPolicy>, string]>([
    [{ attempts: 0 }, 'attempts'],
    [{ attempts: 1.5 }, 'attempts'],
    [{ baseDelayMs: -1 }, 'baseDelayMs'],
    [{ baseDelayMs: 2_000, maxDelayMs: 1_000 }, 'maxDelayMs'],
    [{ retryAfterCapMs: Number.NaN }, 'retryAfterCapMs'],
    [{ retryOnStatuses: [503, 700] }, 'retryOnStatuses'],
  ])('refuses %j naming the field', (settings, field) => {
    try {
      retryPolicy(settings);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(KryonixError);
      expect((error as KryonixError).code).toBe('KRX_VALIDATION_FAILED');
      expect((error as KryonixError).extensions).toEqual({ field });
    }
  });
});

describe('toUpstreamError', () => {
  it('keeps KryonixErrors as they are', () => {
    const original = new KryonixError('KRX_CIRCUIT_OPEN');
    expect(toUpstreamError(original)).toBe(original);
  });

  it.each([
    [new undiciErrors.ConnectTimeoutError(), 'KRX_UPSTREAM_TIMEOUT'],
    [new undiciErrors.HeadersTimeoutError(), 'KRX_UPSTREAM_TIMEOUT'],
    [new undiciErrors.BodyTimeoutError(), 'KRX_UPSTREAM_TIMEOUT'],
    [new undiciErrors.SocketError('other side closed'), 'KRX_UPSTREAM_UNREACHABLE'],
    [errno('ECONNRESET'), 'KRX_UPSTREAM_UNREACHABLE'],
    [errno('ECONNREFUSED'), 'KRX_UPSTREAM_UNREACHABLE'],
    [errno('ETIMEDOUT'), 'KRX_UPSTREAM_TIMEOUT'],
    [errno('EAI_AGAIN'), 'KRX_UPSTREAM_UNREACHABLE'],
    [new TypeError('fetch failed', { cause: errno('ECONNREFUSED') }), 'KRX_UPSTREAM_UNREACHABLE'],
    [new DOMException('The operation timed out', 'TimeoutError'), 'KRX_UPSTREAM_TIMEOUT'],
  ])('maps %s to %s by its code, keeping it as the cause', (error, code) => {
    const mapped = toUpstreamError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.errorClass).toBe('operational');
    expect(mapped.cause).toBe(error);
  });

  it('treats anything unknown as a bug, whatever its message says', () => {
    expect(toUpstreamError(new Error('ECONNRESET: socket hang up timeout')).code).toBe('KRX_INTERNAL');
    expect(toUpstreamError(new RangeError('nope')).errorClass).toBe('unexpected');
    expect(toUpstreamError('a string').code).toBe('KRX_INTERNAL');
  });
});

describe('isRetryable', () => {
  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE', 'get'])('retries idempotent %s', (method) => {
    expect(isRetryable({ method, status: 503 })).toBe(true);
  });

  it.each(['POST', 'PATCH', 'CONNECT'])('does not repeat %s without an Idempotency-Key', (method) => {
    expect(isRetryable({ method, status: 503 })).toBe(false);
    expect(isRetryable({ method, error: errno('ECONNRESET') })).toBe(false);
    expect(isRetryable({ method, idempotencyKey: '', status: 503 })).toBe(false);
  });

  it('repeats any method sent with an Idempotency-Key', () => {
    expect(isRetryable({ method: 'POST', idempotencyKey: 'k-1', status: 503 })).toBe(true);
    expect(isRetryable({ method: 'PATCH', idempotencyKey: 'k-1', error: errno('ECONNRESET') })).toBe(true);
  });

  it.each([
    [408, true],
    [429, true],
    [502, true],
    [503, true],
    [504, true],
    [500, false],
    [501, false],
    [400, false],
    [404, false],
    [200, false],
  ])('status %i retryable: %s', (status, expected) => {
    expect(isRetryable({ method: 'GET', status })).toBe(expected);
  });

  it('uses the policy statuses', () => {
    const custom = retryPolicy({ retryOnStatuses: [500] });
    expect(isRetryable({ method: 'GET', status: 500 }, custom)).toBe(true);
    expect(isRetryable({ method: 'GET', status: 503 }, custom)).toBe(false);
  });

  it('switches on the error class: operational yes, user and unexpected no', () => {
    expect(isRetryable({ method: 'GET', error: new KryonixError('KRX_UPSTREAM_TIMEOUT') })).toBe(true);
    expect(isRetryable({ method: 'GET', error: new undiciErrors.HeadersTimeoutError() })).toBe(true);
    expect(isRetryable({ method: 'GET', error: new KryonixError('KRX_TARGET_FORBIDDEN') })).toBe(false);
    expect(isRetryable({ method: 'GET', error: new KryonixError('KRX_VALIDATION_FAILED') })).toBe(false);
    expect(isRetryable({ method: 'GET', error: new KryonixError('KRX_INTERNAL') })).toBe(false);
    expect(isRetryable({ method: 'GET', error: new Error('timeout ECONNRESET') })).toBe(false);
  });

  it('is false when there is neither an error nor a status', () => {
    expect(isRetryable({ method: 'GET' })).toBe(false);
  });
});

describe('backoffDelay', () => {
  const backoff = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1_000 });

  it('doubles the ceiling with each retry up to maxDelayMs, with full jitter below it', () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, backoff, top))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, backoff, () => 0)).toBe(0);
    expect(backoffDelay(3, backoff, () => 0.5)).toBe(200);
  });

  it('uses Math.random by default and stays in range', () => {
    for (let index = 0; index < 200; index++) {
      const delay = backoffDelay(2, backoff);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(200);
    }
  });

  it('stays finite for huge retry numbers and a zero base', () => {
    expect(backoffDelay(10_000, backoff, () => 0.5)).toBe(500);
    expect(backoffDelay(10_000, retryPolicy({ baseDelayMs: 0, maxDelayMs: 0 }), () => 0.5)).toBe(0);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', START)).toBe(120_000);
    expect(parseRetryAfter(' 5 ', START)).toBe(5_000);
    expect(parseRetryAfter('0', START)).toBe(0);
    expect(parseRetryAfter(['3', '9'], START)).toBe(3_000);
  });

  it('reads the three HTTP-date forms', () => {
    const now = Date.UTC(1994, 10, 6, 8, 49, 0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(37_000);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(37_000);
    expect(parseRetryAfter('Wed Nov 16 08:49:37 1994', now)).toBe(10 * 86_400_000 + 37_000);
  });

  it('reads a two-digit year as at most 50 years ahead', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:00:10 GMT', now)).toBe(10_000);
    // '80' would be 2080, more than 50 years ahead: it is 1980, long past.
    expect(parseRetryAfter('Tuesday, 01-Jan-80 00:00:00 GMT', now)).toBe(0);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', START)).toBe(0);
  });

  it('caps the wait', () => {
    expect(parseRetryAfter('3600', START, 60_000)).toBe(60_000);
    expect(parseRetryAfter('99999999999999', START, 60_000)).toBe(60_000);
  });

  it.each([
    'soon',
    '-5',
    '1.5',
    '5s',
    '',
    '   ',
    'Sun, 31 Feb 2026 10:00:00 GMT',
    'Sun, 06 Nov 1994 25:00:00 GMT',
    'Sun, 06 Nov 1994 08:49:37 CET',
    '2026-01-15T12:00:00Z',
  ])('ignores the invalid value %j', (value) => {
    expect(parseRetryAfter(value, START)).toBeUndefined();
  });

  it('is undefined without a header', () => {
    expect(parseRetryAfter(undefined, START)).toBeUndefined();
    expect(parseRetryAfter(null, START)).toBeUndefined();
  });
});

describe('retryWithPolicy', () => {
  /** Runs answers (or errors) in order, one per attempt. */
  function scripted(...steps: Array<FakeResponse | Error>) {
    const contexts: AttemptContext[] = [];
    const attempt = async (context: AttemptContext): Promise<FakeResponse> => {
      contexts.push(context);
      const step = steps[contexts.length - 1];
      if (step === undefined) throw new Error('more attempts than scripted');
      if (step instanceof Error) throw step;
      return step;
    };
    return { attempt, contexts };
  }

  const base = (fake: ReturnType<typeof fakeClock>) => ({
    method: 'GET',
    deadline: fake.now() + 30_000,
    clock: fake.clock,
    random: () => 0.5,
    responseOf,
  });

  it('returns the first success without retrying', async () => {
    const fake = fakeClock();
    const { attempt } = scripted({ status: 200 });
    expect(await retryWithPolicy(attempt, policy, base(fake))).toEqual({
      ok: true,
      value: { status: 200 },
      retries: 0,
    });
    expect(fake.sleeps).toEqual([]);
  });

  it('retries a retryable status with jittered backoff and counts the retries', async () => {
    const fake = fakeClock();
    const { attempt, contexts } = scripted({ status: 503 }, { status: 502 }, { status: 200 });
    const outcome = await retryWithPolicy(attempt, policy, base(fake));
    expect(outcome).toEqual({ ok: true, value: { status: 200 }, retries: 2 });
    expect(fake.sleeps).toEqual([50, 100]);
    expect(contexts.map((context) => context.attempt)).toEqual([1, 2, 3]);
  });

  it('retries network errors and maps a final one to a KryonixError', async () => {
    const fake = fakeClock();
    const { attempt } = scripted(
      errno('ECONNRESET'),
      errno('ECONNREFUSED'),
      new undiciErrors.HeadersTimeoutError(),
    );
    const outcome = await retryWithPolicy(attempt, policy, base(fake));
    expect(outcome.ok).toBe(false);
    expect(outcome.retries).toBe(2);
    expect(!outcome.ok && (outcome.error as KryonixError).code).toBe('KRX_UPSTREAM_TIMEOUT');
  });

  it('hands back the last retryable answer when the attempts are spent', async () => {
    const fake = fakeClock();
    const { attempt, contexts } = scripted({ status: 503 }, { status: 503 }, { status: 504 });
    expect(await retryWithPolicy(attempt, policy, base(fake))).toEqual({
      ok: true,
      value: { status: 504 },
      retries: 2,
    });
    expect(contexts).toHaveLength(3);
  });

  it('does not repeat a POST without an Idempotency-Key, and does with one', async () => {
    const fake = fakeClock();
    const once = scripted({ status: 503 });
    expect(await retryWithPolicy(once.attempt, policy, { ...base(fake), method: 'POST' })).toMatchObject({
      ok: true,
      retries: 0,
    });
    const keyed = scripted({ status: 503 }, { status: 201 });
    const outcome = await retryWithPolicy(keyed.attempt, policy, {
      ...base(fake),
      method: 'POST',
      idempotencyKey: 'order-42',
    });
    expect(outcome).toEqual({ ok: true, value: { status: 201 }, retries: 1 });
  });

  it('never retries a user error', async () => {
    const fake = fakeClock();
    const forbidden = new KryonixError('KRX_TARGET_FORBIDDEN');
    const { attempt, contexts } = scripted(forbidden);
    expect(await retryWithPolicy(attempt, policy, base(fake))).toEqual({
      ok: false,
      error: forbidden,
      retries: 0,
    });
    expect(contexts).toHaveLength(1);
  });

  it('waits as long as Retry-After asks when that is longer than the backoff', async () => {
    const fake = fakeClock();
    const { attempt } = scripted({ status: 429, retryAfter: '7' }, { status: 200 });
    expect(await retryWithPolicy(attempt, policy, base(fake))).toMatchObject({ ok: true, retries: 1 });
    expect(fake.sleeps).toEqual([7_000]);
  });

  it('keeps the backoff when Retry-After is shorter', async () => {
    const fake = fakeClock();
    const { attempt } = scripted({ status: 503, retryAfter: '0' }, { status: 200 });
    await retryWithPolicy(attempt, policy, base(fake));
    expect(fake.sleeps).toEqual([50]);
  });

  it('reads Retry-After as an HTTP-date against the clock', async () => {
    const fake = fakeClock();
    const at = new Date(START + 4_000).toUTCString();
    const { attempt } = scripted({ status: 503, retryAfter: at }, { status: 200 });
    await retryWithPolicy(attempt, policy, base(fake));
    expect(fake.sleeps).toEqual([4_000]);
  });

  it('honours Retry-After carried by a thrown KryonixError', async () => {
    const fake = fakeClock();
    const limited = new KryonixError('KRX_RATE_LIMITED', undefined, { headers: { 'Retry-After': '3' } });
    const { attempt } = scripted(limited, { status: 200 });
    expect(await retryWithPolicy(attempt, policy, base(fake))).toMatchObject({ ok: true, retries: 1 });
    expect(fake.sleeps).toEqual([3_000]);
  });

  it('does not retry when Retry-After exceeds the cap, returning the answer', async () => {
    const fake = fakeClock();
    const { attempt, contexts } = scripted({ status: 429, retryAfter: '11' });
    expect(await retryWithPolicy(attempt, policy, base(fake))).toEqual({
      ok: true,
      value: { status: 429, retryAfter: '11' },
      retries: 0,
    });
    expect(contexts).toHaveLength(1);
    expect(fake.sleeps).toEqual([]);
  });

  it('never starts a wait that would end at or past the deadline', async () => {
    const fake = fakeClock();
    const { attempt } = scripted({ status: 429, retryAfter: '9' });
    const outcome = await retryWithPolicy(attempt, policy, { ...base(fake), deadline: START + 9_000 });
    expect(outcome).toMatchObject({ ok: true, retries: 0 });
    expect(fake.sleeps).toEqual([]);
  });

  it('keeps every attempt and wait inside the deadline, telling each attempt the time left', async () => {
    const fake = fakeClock();
    const generous = retryPolicy({ attempts: 50, baseDelayMs: 400, maxDelayMs: 3_000, retryAfterCapMs: 0 });
    const deadline = START + 10_000;
    const remaining: number[] = [];
    const outcome = await retryWithPolicy(
      async ({ remainingMs }) => {
        remaining.push(remainingMs);
        fake.advance(700); // each attempt takes 700 ms of clock time
        return { status: 503 };
      },
      generous,
      { ...base(fake), deadline, random: () => 0.9 },
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.retries).toBe(remaining.length - 1);
    expect(remaining.length).toBeGreaterThan(2);
    expect(remaining.every((ms, index) => ms > 0 && (index === 0 || ms < remaining[index - 1]))).toBe(true);
    expect(fake.now()).toBeLessThanOrEqual(deadline);
    expect(remaining[0]).toBe(10_000);
  });

  it('fails with KRX_UPSTREAM_TIMEOUT without calling when the deadline has passed', async () => {
    const fake = fakeClock();
    const { attempt, contexts } = scripted({ status: 200 });
    const outcome = await retryWithPolicy(attempt, policy, { ...base(fake), deadline: START });
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && (outcome.error as KryonixError).code).toBe('KRX_UPSTREAM_TIMEOUT');
    expect(contexts).toHaveLength(0);
  });

  it('stops at once when the signal is already aborted', async () => {
    const fake = fakeClock();
    const controller = new AbortController();
    controller.abort(new Error('client went away'));
    const { attempt, contexts } = scripted({ status: 200 });
    const outcome = await retryWithPolicy(attempt, policy, { ...base(fake), signal: controller.signal });
    expect(outcome).toEqual({ ok: false, error: controller.signal.reason, retries: 0 });
    expect(contexts).toHaveLength(0);
  });

  it('stops during a wait when the signal aborts, counting only the retries made', async () => {
    const fake = fakeClock();
    const controller = new AbortController();
    const { attempt, contexts } = scripted({ status: 503 }, { status: 503 }, { status: 200 });
    const clock: Clock = {
      now: fake.clock.now,
      sleep: async (ms, signal) => {
        await fake.clock.sleep(ms, signal);
        if (fake.sleeps.length === 2) {
          controller.abort(new Error('gone'));
          signal?.throwIfAborted();
        }
      },
    };
    const outcome = await retryWithPolicy(attempt, policy, {
      ...base(fake),
      clock,
      signal: controller.signal,
    });
    expect(outcome).toEqual({ ok: false, error: controller.signal.reason, retries: 1 });
    expect(contexts).toHaveLength(2);
  });

  it('does not retry an attempt that failed because the caller aborted', async () => {
    const fake = fakeClock();
    const controller = new AbortController();
    const outcome = await retryWithPolicy(
      async () => {
        controller.abort(new Error('gone'));
        throw errno('ECONNRESET');
      },
      policy,
      { ...base(fake), signal: controller.signal },
    );
    expect(outcome).toMatchObject({ ok: false, retries: 0 });
    expect(!outcome.ok && outcome.error).toBe(controller.signal.reason);
  });

  it('releases each discarded answer but not the one it returns', async () => {
    const fake = fakeClock();
    const released: number[] = [];
    const { attempt } = scripted({ status: 503 }, { status: 502 }, { status: 200 });
    await retryWithPolicy(attempt, policy, {
      ...base(fake),
      release: (response) => {
        released.push(response.status);
      },
    });
    expect(released).toEqual([503, 502]);
  });

  it('retries even when releasing a discarded answer fails', async () => {
    const fake = fakeClock();
    const { attempt } = scripted({ status: 503 }, { status: 200 });
    const outcome = await retryWithPolicy(attempt, policy, {
      ...base(fake),
      release: () => Promise.reject(new Error('body already destroyed')),
    });
    expect(outcome).toEqual({ ok: true, value: { status: 200 }, retries: 1 });
  });

  it('treats results as final when it cannot read them as responses', async () => {
    const fake = fakeClock();
    const outcome = await retryWithPolicy(async () => 'plain value', policy, {
      method: 'GET',
      deadline: fake.now() + 1_000,
      clock: fake.clock,
    });
    expect(outcome).toEqual({ ok: true, value: 'plain value', retries: 0 });
  });
});

describe('systemClock', () => {
  it('sleeps and can be aborted', async () => {
    await systemClock.sleep(1);
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await expect(sleeping).rejects.toThrow();
    expect(systemClock.now()).toBeGreaterThan(START);
  });
});
