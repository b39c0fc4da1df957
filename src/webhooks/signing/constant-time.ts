import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Both sides are MACed under a per-process random key before comparing: the digests always have the
// same length, so timingSafeEqual never throws and the time taken reveals neither the content nor the
// length of the expected value.
const COMPARE_KEY = randomBytes(32);

function digest(value: string | Buffer): Buffer {
  return createHmac('sha256', COMPARE_KEY).update(value).digest();
}

export function safeEqual(a: string | Buffer, b: string | Buffer): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * True when any candidate equals any expected value. Every pair is compared, so the time taken does not
 * tell which secret (or which of several signatures) matched.
 */
export function matchesAny(
  candidates: readonly (string | Buffer)[],
  expected: readonly (string | Buffer)[],
): boolean {
  let matched = false;
  for (const value of expected) {
    for (const candidate of candidates) {
      matched = safeEqual(candidate, value) || matched;
    }
  }
  return matched;
}
