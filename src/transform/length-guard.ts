import jsonata from 'jsonata';
import { KryonixError } from '../platform/errors.js';
import type { ExtraFunction } from './functions.js';
import type { TransformLimits } from './limits.js';

/*
 * JSONata checks its time budget between evaluation steps, never inside a built-in: `$pad("", 1e8)`
 * ran five seconds and grew the heap by gigabytes before the next check. So values are bounded by
 * size (`expressionMaxLength`): the built-ins that can grow a value far beyond their inputs refuse
 * before allocating, and every step's result is checked on its way out (what catches `&` doubling a
 * string in a loop, or `$append` an array).
 */

type BuiltIn = { implementation: (this: jsonata.Focus, ...args: unknown[]) => unknown };

/** JSONata's own implementations, taken before ours shadow their names. */
const builtIn = Object.fromEntries(
  await Promise.all(
    ['pad', 'split', 'join', 'replace'].map(
      async (name) => [name, (await jsonata(`$${name}`).evaluate(undefined)) as BuiltIn] as const,
    ),
  ),
);

function tooLong(what: string, length: number, limit: number): KryonixError {
  return new KryonixError(
    'KRX_LIMIT_EXCEEDED',
    `Expression stopped: ${what} of length ${length} exceeds the limit of ${limit} characters or items`,
  );
}

/** Characters `$replace` would produce when both pattern and replacement are strings. */
function replacedLength(text: string, pattern: string, replacement: string, limit?: number): number {
  let count = 0;
  for (
    let at = text.indexOf(pattern);
    at >= 0 && (limit === undefined || count < limit);
    at = text.indexOf(pattern, at + pattern.length)
  )
    count++;
  return text.length + count * (replacement.length - pattern.length);
}

/** `$pad`, `$split`, `$join` and `$replace` with the size bound checked before the work. */
export function lengthGuardedBuiltIns(limits: TransformLimits): ExtraFunction[] {
  const max = limits.expressionMaxLength;
  const delegate = (name: string) =>
    function (this: jsonata.Focus, ...args: unknown[]) {
      return builtIn[name].implementation.apply(this, args);
    };
  const pad = delegate('pad');
  const split = delegate('split');
  const join = delegate('join');
  const replace = delegate('replace');
  return [
    {
      name: 'pad',
      signature: '<s-ns?:s>',
      implementation(this: jsonata.Focus, text: string | undefined, width: number, char?: string) {
        const padLength = Math.abs(Math.trunc(width)) - (text?.length ?? 0);
        // JSONata builds the padding from whole copies of `char` before cutting it to length.
        const built = padLength * Math.max(1, char?.length ?? 1);
        if (text !== undefined && built > max) throw tooLong('the $pad result', built, max);
        return pad.call(this, text, width, char);
      },
    },
    {
      name: 'split',
      signature: '<s-(sf)n?:a<s>>',
      async implementation(
        this: jsonata.Focus,
        text: string | undefined,
        separator: unknown,
        limit?: number,
      ) {
        // Never more parts than the bound allows plus one, so an oversized split stops early.
        const capped = limit === undefined || limit > max ? max + 1 : limit;
        const parts = (await split.call(this, text, separator, capped)) as string[] | undefined;
        if (parts && parts.length > max) throw tooLong('the $split result', parts.length, max);
        return parts;
      },
    },
    {
      name: 'join',
      signature: '<a<s>s?:s>',
      implementation(this: jsonata.Focus, texts: string[] | undefined, separator?: string) {
        if (texts !== undefined) {
          let total = Math.max(0, texts.length - 1) * (separator?.length ?? 0);
          for (const text of texts) total += text.length;
          if (total > max) throw tooLong('the $join result', total, max);
        }
        return join.call(this, texts, separator);
      },
    },
    {
      name: 'replace',
      signature: '<s-(sf)(sf)n?:s>',
      async implementation(
        this: jsonata.Focus,
        text: string | undefined,
        pattern: unknown,
        replacement: unknown,
        limit?: number,
      ) {
        if (
          text !== undefined &&
          typeof pattern === 'string' &&
          pattern !== '' &&
          typeof replacement === 'string'
        ) {
          const length = replacedLength(text, pattern, replacement, limit);
          if (length > max) throw tooLong('the $replace result', length, max);
        }
        // A regular expression or a function replacement: the step's result is checked on exit.
        return replace.call(this, text, pattern, replacement, limit);
      },
    },
  ];
}

/** JSONata's `__evaluate_exit` hook: every step's string or array result within the bound. */
export function lengthCheckOnExit(limits: TransformLimits) {
  const max = limits.expressionMaxLength;
  return (_node: unknown, _input: unknown, _environment: unknown, result: unknown): void => {
    if ((typeof result === 'string' || Array.isArray(result)) && result.length > max)
      throw tooLong(typeof result === 'string' ? 'a string' : 'an array', result.length, max);
  };
}
