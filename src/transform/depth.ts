import { KryonixError } from '../platform/errors.js';

/** Iterative on purpose: measuring a 10,000-level value must not overflow the stack it protects. */
export function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}

export function assertDepth(value: unknown, maxDepth: number, what = 'The data'): void {
  if (exceedsDepth(value, maxDepth)) {
    throw new KryonixError('KRX_LIMIT_EXCEEDED', `${what} is nested deeper than ${maxDepth} levels`);
  }
}

/** Recursive parsers/serialisers end a too-deep document with a RangeError; name it for the caller. */
export function isStackOverflow(error: unknown): boolean {
  return error instanceof Error && /Maximum call stack size exceeded/.test(error.message);
}
