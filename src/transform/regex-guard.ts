import { KryonixError } from '../platform/errors.js';
import type { TransformLimits } from './limits.js';

/*
 * ReDoS guard. JavaScript regexes backtrack, and a single catastrophic match blocks the event loop
 * where no timeout can interrupt it. We refuse the pattern shapes that backtrack exponentially
 * instead of trying to detect slow matches:
 *   - a repeated group (`*`, `+`, `{n,}`, `{n,m}`) that contains a quantifier or an alternation,
 *     e.g. `(a+)+`, `(a|aa)*`, `(\d{3}-)+` — write `[ab]+` instead of `(a|b)+`;
 *   - back-references (`\1`, `\k<name>`), which no linear-time strategy can bound.
 * Polynomial backtracking (`.*a.*b.*c`) remains possible, so patterns are capped in length and the
 * strings they run against are capped too (`maxRegexInputLength`).
 */

interface GroupScan {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

/** The reason `pattern` is refused, or undefined when it is acceptable. */
export function findRegexHazard(pattern: string, maxLength: number): string | undefined {
  if (pattern.length > maxLength) return `the pattern is longer than ${maxLength} characters`;
  const open: GroupScan[] = [{ hasQuantifier: false, hasAlternation: false }];
  let justClosed: GroupScan | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    const previousGroup = justClosed;
    justClosed = undefined;
    const current = open[open.length - 1];
    if (char === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not allowed';
      i++;
    } else if (char === '[') {
      i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
    } else if (char === '(') {
      open.push({ hasQuantifier: false, hasAlternation: false });
      if (pattern[i + 1] === '?') i += groupPrefixLength(pattern, i + 1);
    } else if (char === ')') {
      const closed = open.length > 1 ? open.pop()! : undefined;
      if (closed) {
        const parent = open[open.length - 1];
        parent.hasQuantifier ||= closed.hasQuantifier;
        parent.hasAlternation ||= closed.hasAlternation;
        justClosed = closed;
      }
    } else if (char === '|') {
      current.hasAlternation = true;
    } else if (char === '*' || char === '+' || char === '?' || isBraceQuantifier(pattern, i)) {
      const repeats = char !== '?';
      if (repeats && previousGroup && (previousGroup.hasQuantifier || previousGroup.hasAlternation)) {
        return 'a repeated group may not contain a quantifier or an alternation (exponential backtracking)';
      }
      current.hasQuantifier = true;
      if (char === '{') i = pattern.indexOf('}', i);
      if (pattern[i + 1] === '?') i++;
    }
  }
  return undefined;
}

function isBraceQuantifier(pattern: string, index: number): boolean {
  return pattern[index] === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(index, index + 24));
}

/** Length of `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` so their `?` is not read as a quantifier. */
function groupPrefixLength(pattern: string, questionMark: number): number {
  if (pattern[questionMark + 1] === '<' && !'=!'.includes(pattern[questionMark + 2] ?? '')) {
    const close = pattern.indexOf('>', questionMark);
    return close === -1 ? 1 : close - questionMark + 1;
  }
  return pattern[questionMark + 1] === '<' ? 3 : 2;
}

/** Throws a clear error when `input` is too long to be matched safely. */
export function assertRegexInput(input: string, limits: TransformLimits): void {
  if (input.length > limits.maxRegexInputLength) {
    throw new KryonixError(
      'KRX_LIMIT_EXCEEDED',
      `A regular expression may only be applied to strings of up to ${limits.maxRegexInputLength} characters (got ${input.length})`,
    );
  }
}

/**
 * A RegExp class that refuses hazardous patterns and over-long inputs; handed to JSONata as its
 * RegexEngine and used for `matches` filters.
 */
export function guardedRegExpClass(limits: TransformLimits): RegExpConstructor {
  class GuardedRegExp extends RegExp {
    constructor(pattern: string | RegExp, flags?: string) {
      super(pattern, flags);
      const hazard = findRegexHazard(this.source, limits.maxPatternLength);
      if (hazard)
        throw new KryonixError(
          'KRX_VALIDATION_FAILED',
          `Regular expression /${this.source}/ refused: ${hazard}`,
        );
    }

    override exec(input: string): RegExpExecArray | null {
      assertRegexInput(input, limits);
      return super.exec(input);
    }
  }
  return GuardedRegExp as RegExpConstructor;
}
