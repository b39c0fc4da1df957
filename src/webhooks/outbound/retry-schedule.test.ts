import { describe, expect, it } from 'vitest';
import { baseDelayMs, DEFAULT_SCHEDULE_SECONDS, maxAttemptsOf, nextDelayMs } from './retry-schedule.js';

const defaults = { maxAttempts: 5, initialDelayMs: 10_000 };

describe('retry schedule', () => {
  it("defaults to Svix's schedule: 8 attempts, 5 s then 5 min ... 10 h", () => {
    expect(maxAttemptsOf(null, defaults)).toBe(8);
    expect(baseDelayMs(null, defaults, 1)).toBe(5_000);
    expect(baseDelayMs(null, defaults, 2)).toBe(300_000);
    expect(baseDelayMs(null, defaults, 7)).toBe(DEFAULT_SCHEDULE_SECONDS[6] * 1000);
  });

  it('takes an explicit schedule', () => {
    expect(maxAttemptsOf({ schedule: [0.1, 0.2] }, defaults)).toBe(3);
    expect(baseDelayMs({ schedule: [0.1, 0.2] }, defaults, 2)).toBe(200);
  });

  it('takes the exponential form with WEBHOOK_MAX_RETRIES / WEBHOOK_RETRY_DELAY as defaults', () => {
    expect(maxAttemptsOf({ initialDelayMs: 100 }, defaults)).toBe(5);
    expect(baseDelayMs({ maxAttempts: 4 }, defaults, 3)).toBe(40_000);
    expect(baseDelayMs({ maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 250 }, defaults, 3)).toBe(250);
  });

  it('jitters within ±20 % and lets a longer Retry-After win, capped', () => {
    expect(nextDelayMs(null, defaults, 1, undefined, () => 0)).toBe(4_000);
    expect(nextDelayMs(null, defaults, 1, undefined, () => 1)).toBe(6_000);
    expect(nextDelayMs(null, defaults, 1, 60_000, () => 0.5)).toBe(60_000);
    expect(nextDelayMs(null, defaults, 1, 1_000, () => 0.5)).toBe(5_000);
    expect(nextDelayMs({ retryAfterCapSeconds: 10 }, defaults, 1, 3_600_000, () => 0.5)).toBe(10_000);
  });
});
