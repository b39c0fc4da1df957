import { hash, timingSafeEqual } from 'node:crypto';

// Both sides are hashed before comparing: the digests always have the same length, so timingSafeEqual
// never throws and the time taken reveals neither the content nor the length of the expected value.
// (No key is needed: the comparison itself is constant-time; hashing only evens out the lengths.)
function digest(value: string | Buffer): Buffer {
  return hash('sha256', value, 'buffer');
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
