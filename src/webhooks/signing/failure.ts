import type { RequestHeaders, VerifyFailure } from './types.js';

export function fail(reason: string): VerifyFailure {
  return { ok: false, reason };
}

/** The single value of a header, or why there is none to use. */
export function readHeader(headers: RequestHeaders, name: string): string | VerifyFailure {
  const value = headers[name];
  if (value === undefined || value === '') return fail(`missing header ${name}`);
  // Two copies of a signature header are ambiguous; choosing one would let a proxy's copy shadow the sender's.
  if (typeof value !== 'string') return fail(`duplicate header ${name}`);
  return value;
}
