/**
 * When a failed delivery is tried again. Data, not code: a subscription's `retryConfig` is either an
 * explicit schedule of delays (seconds) or the simple exponential form of WEBHOOK_MAX_RETRIES /
 * WEBHOOK_RETRY_DELAY; without one, Svix's schedule. Delays get ±20 % jitter so a crowd of deliveries
 * that failed together does not come back together. A Retry-After from the receiver (429/503) wins when
 * it asks for longer than the backoff, up to a cap.
 */
import { KryonixError } from '../../platform/errors.js';

export interface RetryConfig {
  /** Delays in seconds before each retry: `[5, 300]` means three attempts in all. */
  readonly schedule?: readonly number[];
  /** Exponential form: attempts in all (the first included). */
  readonly maxAttempts?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Longest Retry-After honoured, in seconds (default 6 h). */
  readonly retryAfterCapSeconds?: number;
}

/** Svix's: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_SCHEDULE_SECONDS: readonly number[] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
const DEFAULT_RETRY_AFTER_CAP_SECONDS = 6 * 3600;
const JITTER = 0.2;

export const RETRY_CONFIG_SCHEMA = {
  type: ['object', 'null'],
  properties: {
    schedule: { type: 'array', maxItems: 50, items: { type: 'number', minimum: 0, maximum: 7 * 86_400 } },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
    initialDelayMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
    maxDelayMs: { type: 'integer', minimum: 0, maximum: 7 * 86_400_000 },
    retryAfterCapSeconds: { type: 'integer', minimum: 0, maximum: 7 * 86_400 },
  },
  additionalProperties: false,
} as const;

export interface RetryDefaults {
  /** WEBHOOK_MAX_RETRIES: used with the exponential form when a config gives no maxAttempts. */
  readonly maxAttempts: number;
  /** WEBHOOK_RETRY_DELAY. */
  readonly initialDelayMs: number;
}

export function validateRetryConfig(config: RetryConfig | null | undefined): void {
  if (!config) return;
  if (config.schedule && (config.maxAttempts !== undefined || config.initialDelayMs !== undefined)) {
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      'retryConfig takes either schedule or maxAttempts/initialDelayMs',
      {
        extensions: {
          errors: [{ path: '/retryConfig', message: 'schedule excludes the exponential settings' }],
        },
      },
    );
  }
}

function isExponential(config: RetryConfig | null | undefined): boolean {
  return (
    !!config && !config.schedule && (config.maxAttempts !== undefined || config.initialDelayMs !== undefined)
  );
}

/** Attempts in all, the first included. */
export function maxAttemptsOf(config: RetryConfig | null | undefined, defaults: RetryDefaults): number {
  if (isExponential(config)) return config?.maxAttempts ?? defaults.maxAttempts;
  return (config?.schedule ?? DEFAULT_SCHEDULE_SECONDS).length + 1;
}

/** Milliseconds to wait after failed attempt number `attempt` (1-based), before jitter and Retry-After. */
export function baseDelayMs(
  config: RetryConfig | null | undefined,
  defaults: RetryDefaults,
  attempt: number,
): number {
  if (isExponential(config)) {
    const initial = config?.initialDelayMs ?? defaults.initialDelayMs;
    const ceiling = config?.maxDelayMs ?? 10 * 3600_000;
    return Math.min(ceiling, initial * 2 ** Math.min(attempt - 1, 30));
  }
  const schedule = config?.schedule ?? DEFAULT_SCHEDULE_SECONDS;
  return (schedule[Math.min(attempt - 1, schedule.length - 1)] ?? 0) * 1000;
}

/** The delay before the next attempt: jittered backoff, or the receiver's Retry-After when longer (capped). */
export function nextDelayMs(
  config: RetryConfig | null | undefined,
  defaults: RetryDefaults,
  attempt: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number {
  const base = baseDelayMs(config, defaults, attempt);
  const jittered = Math.round(base * (1 - JITTER + 2 * JITTER * random()));
  if (retryAfterMs === undefined) return jittered;
  const cap = (config?.retryAfterCapSeconds ?? DEFAULT_RETRY_AFTER_CAP_SECONDS) * 1000;
  return Math.max(jittered, Math.min(retryAfterMs, cap));
}
