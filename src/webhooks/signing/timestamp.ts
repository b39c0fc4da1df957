import { fail } from './failure.js';
import type { VerifyFailure } from './types.js';

/** Stripe, Slack and Standard Webhooks all recommend five minutes. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const UNIX_SECONDS = /^\d{1,12}$/;

/** Rejects a signed timestamp further than the tolerance from `now`, in either direction (replay and pre-dating). */
export function checkTimestamp(
  value: string,
  now: Date,
  toleranceSeconds: number,
): VerifyFailure | undefined {
  if (!UNIX_SECONDS.test(value)) return fail('malformed timestamp');
  const skew = Math.abs(Number(value) - Math.floor(now.getTime() / 1000));
  return skew > toleranceSeconds ? fail('timestamp outside tolerance') : undefined;
}
