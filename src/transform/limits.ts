/**
 * Every bound the pipeline enforces. Hostile or runaway input must end in a clear error within these,
 * never in a hang, a stack overflow or an exhausted heap.
 */
export interface TransformLimits {
  /** Largest text a format conversion reads or writes, in bytes. */
  maxInputBytes: number;
  /** Deepest nesting of objects/arrays accepted anywhere (input, parsed text, schemas). */
  maxDepth: number;
  /** Most CSV records read in one conversion. */
  maxCsvRows: number;
  /** Wall-clock budget of one JSONata evaluation. */
  expressionTimeoutMs: number;
  /** Deepest JSONata evaluation stack (non-tail recursion ends here). */
  expressionMaxDepth: number;
  /** Longest sequence (e.g. a range `[1..n]`) one JSONata evaluation may build. */
  expressionMaxSequence: number;
  /**
   * Longest string (characters) or array (items) one step of an evaluation may produce. Built-ins run
   * to completion between JSONata's time checks, so `$pad`, `$split`, `$join`, `$replace` and `&` are
   * bounded by size instead, before they allocate where the size is known in advance.
   */
  expressionMaxLength: number;
  /** Longest regular expression pattern accepted. */
  maxPatternLength: number;
  /** Longest string a regular expression is run against; bounds residual polynomial backtracking. */
  maxRegexInputLength: number;
}

export const DEFAULT_LIMITS: Readonly<TransformLimits> = Object.freeze({
  maxInputBytes: 10 * 1024 * 1024,
  maxDepth: 256,
  maxCsvRows: 100_000,
  expressionTimeoutMs: 1_000,
  expressionMaxDepth: 500,
  expressionMaxSequence: 100_000,
  // As large as the largest accepted input (maxInputBytes), so no value read from one is refused.
  expressionMaxLength: 10 * 1024 * 1024,
  maxPatternLength: 256,
  maxRegexInputLength: 10_000,
});

export function resolveLimits(overrides: Partial<TransformLimits> = {}): TransformLimits {
  return { ...DEFAULT_LIMITS, ...overrides };
}

/** Compiled artefacts depend on the limits baked into them, so caches key on this. */
export function limitsKey(limits: TransformLimits): string {
  return [
    limits.expressionTimeoutMs,
    limits.expressionMaxDepth,
    limits.expressionMaxSequence,
    limits.expressionMaxLength,
    limits.maxPatternLength,
    limits.maxRegexInputLength,
  ].join(',');
}
