import { BAIL, boolean, isFunction, type JS, string, stringToArray } from './fast-runtime.js';
import { parseSignature, type Signature } from './fast-signature.js';
import { EXTRA_FUNCTIONS } from './functions.js';

/*
 * The functions the fast path calls itself: pure, synchronous, with semantics simple enough to port
 * exactly (bodies copied from jsonata.js 2.2.x, or our own extras from functions.ts, the very
 * implementations JSONata is given). Arguments pass JSONata's signature check first; `fast1` is a
 * shortcut for the common one-argument call that answers only for the argument types it is sure of
 * and otherwise defers to the full check. Anything not listed here (regex functions, higher-order
 * functions, $now/$millis/$random, pictures) keeps the expression on JSONata.
 */

export interface FastFunction {
  signature: Signature;
  /** Argument counts the fast path accepts (the signature may allow more, e.g. a date picture). */
  minArgs: number;
  maxArgs: number;
  implementation: (...args: JS[]) => unknown;
  fast1?: (value: JS) => unknown;
}

function define(
  signature: string,
  implementation: (...args: JS[]) => unknown,
  options: { minArgs?: number; maxArgs: number; fast1?: (value: JS) => unknown },
): FastFunction {
  return {
    signature: parseSignature(signature),
    minArgs: options.minArgs ?? 0,
    maxArgs: options.maxArgs,
    implementation,
    fast1: options.fast1,
  };
}

/** `<s-:s>`-style: one string (or nothing) argument. */
function stringOnly(implementation: (text: string | undefined) => unknown) {
  return (value: JS) => {
    if (value !== undefined && typeof value !== 'string') throw BAIL;
    return implementation(value);
  };
}

/** `<x-...>`-style: any value but a function. */
function anyButFunction(implementation: (value: JS) => unknown) {
  return (value: JS) => {
    if (isFunction(value)) throw BAIL;
    return implementation(value);
  };
}

const lowercase = (str: string | undefined) => (str === undefined ? undefined : str.toLowerCase());
const uppercase = (str: string | undefined) => (str === undefined ? undefined : str.toUpperCase());

function trim(str: string | undefined): string | undefined {
  if (str === undefined) return undefined;
  let result = str.replace(/[ \t\n\r]+/gm, ' ');
  if (result.charAt(0) === ' ') result = result.substring(1);
  if (result.charAt(result.length - 1) === ' ') result = result.substring(0, result.length - 1);
  return result;
}

const length = (str: string | undefined) => (str === undefined ? undefined : stringToArray(str).length);

function substring(str: string | undefined, start: number, len?: number): string | undefined {
  if (str === undefined) return undefined;
  const strArray = stringToArray(str);
  const strLength = strArray.length;
  let from = start;
  if (strLength + from < 0) from = 0;
  if (len !== undefined) {
    if (len <= 0) return '';
    const end = from >= 0 ? from + len : strLength + from + len;
    return strArray.slice(from, end).join('');
  }
  return strArray.slice(from).join('');
}

function substringBefore(str: string | undefined, chars: string): string | undefined {
  if (str === undefined) return undefined;
  const pos = str.indexOf(chars);
  return pos > -1 ? str.substr(0, pos) : str;
}

function substringAfter(str: string | undefined, chars: string): string | undefined {
  if (str === undefined) return undefined;
  const pos = str.indexOf(chars);
  return pos > -1 ? str.substr(pos + chars.length) : str;
}

function join(strs: string[] | undefined, separator?: string): string | undefined {
  if (strs === undefined) return undefined;
  return strs.join(separator === undefined ? '' : separator);
}

const NUMBER_TEXT = /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/;
const BASED_NUMBER_TEXT = /^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/;

function number(arg: JS): number | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') return arg;
  if (
    typeof arg === 'string' &&
    NUMBER_TEXT.test(arg) &&
    !Number.isNaN(Number.parseFloat(arg)) &&
    Number.isFinite(Number(arg))
  ) {
    return Number.parseFloat(arg);
  }
  if (typeof arg === 'string' && BASED_NUMBER_TEXT.test(arg)) return Number(arg);
  if (arg === true) return 1;
  if (arg === false) return 0;
  throw BAIL;
}

function sum(args: number[] | undefined): number | undefined {
  if (args === undefined) return undefined;
  let total = 0;
  args.forEach((num) => {
    total += num;
  });
  return total;
}

const count = (args: unknown[] | undefined) => (args === undefined ? 0 : args.length);

function max(args: number[] | undefined): number | undefined {
  if (args === undefined || args.length === 0) return undefined;
  return Math.max(...args);
}

function min(args: number[] | undefined): number | undefined {
  if (args === undefined || args.length === 0) return undefined;
  return Math.min(...args);
}

function average(args: number[] | undefined): number | undefined {
  if (args === undefined || args.length === 0) return undefined;
  let total = 0;
  args.forEach((num) => {
    total += num;
  });
  return total / args.length;
}

const unaryMath = (operation: (value: number) => number) => (arg: number | undefined) =>
  arg === undefined ? undefined : operation(arg);

const not = (arg: JS) => (arg === undefined ? undefined : !boolean(arg));
const exists = (arg: JS) => arg !== undefined;

const extra = (name: string) => {
  const found = EXTRA_FUNCTIONS.find((fn) => fn.name === name);
  if (!found) throw new Error(`No extra function ${name}`);
  const implementation = found.implementation as (...args: JS[]) => unknown;
  return { signature: found.signature, implementation: (...args: JS[]) => implementation(...args) };
};

function extraFunction(name: string, maxArgs: number, fast1?: 'string' | 'any'): FastFunction {
  const { signature, implementation } = extra(name);
  const one = (value: JS) => implementation(value);
  return define(signature, implementation, {
    maxArgs,
    fast1: fast1 === 'string' ? stringOnly(one) : fast1 === 'any' ? anyButFunction(one) : undefined,
  });
}

const stringFn = (arg: JS, prettify?: boolean) => string(arg, prettify);

/** By JSONata name, without the `$`. */
export const FAST_FUNCTIONS: ReadonlyMap<string, FastFunction> = new Map<string, FastFunction>([
  ['uppercase', define('<s-:s>', uppercase, { maxArgs: 1, fast1: stringOnly(uppercase) })],
  ['lowercase', define('<s-:s>', lowercase, { maxArgs: 1, fast1: stringOnly(lowercase) })],
  ['trim', define('<s-:s>', trim, { maxArgs: 1, fast1: stringOnly(trim) })],
  ['length', define('<s-:n>', length, { maxArgs: 1, fast1: stringOnly(length) })],
  ['substring', define('<s-nn?:s>', substring, { minArgs: 1, maxArgs: 3 })],
  ['substringBefore', define('<s-s:s>', substringBefore, { minArgs: 1, maxArgs: 2 })],
  ['substringAfter', define('<s-s:s>', substringAfter, { minArgs: 1, maxArgs: 2 })],
  ['string', define('<x-b?:s>', stringFn, { maxArgs: 2, fast1: anyButFunction((v) => string(v)) })],
  [
    'number',
    define('<(nsb)-:n>', number, {
      maxArgs: 1,
      fast1: (value: JS) => {
        const type = typeof value;
        if (value !== undefined && type !== 'number' && type !== 'string' && type !== 'boolean') throw BAIL;
        return number(value);
      },
    }),
  ],
  ['boolean', define('<x-:b>', boolean, { maxArgs: 1, fast1: anyButFunction(boolean) })],
  ['not', define('<x-:b>', not, { maxArgs: 1, fast1: anyButFunction(not) })],
  ['exists', define('<x:b>', exists, { minArgs: 1, maxArgs: 1, fast1: anyButFunction(exists) })],
  ['join', define('<a<s>s?:s>', join, { minArgs: 1, maxArgs: 2 })],
  ['count', define('<a:n>', count, { minArgs: 1, maxArgs: 1 })],
  ['sum', define('<a<n>:n>', sum, { minArgs: 1, maxArgs: 1 })],
  ['max', define('<a<n>:n>', max, { minArgs: 1, maxArgs: 1 })],
  ['min', define('<a<n>:n>', min, { minArgs: 1, maxArgs: 1 })],
  ['average', define('<a<n>:n>', average, { minArgs: 1, maxArgs: 1 })],
  ['abs', define('<n-:n>', unaryMath(Math.abs), { maxArgs: 1 })],
  ['floor', define('<n-:n>', unaryMath(Math.floor), { maxArgs: 1 })],
  ['ceil', define('<n-:n>', unaryMath(Math.ceil), { maxArgs: 1 })],
  // Ours (functions.ts). Date pictures and time zones delegate to JSONata built-ins: not fast.
  ['uuid', extraFunction('uuid', 0)],
  ['toBoolean', extraFunction('toBoolean', 1, 'any')],
  ['parseJson', extraFunction('parseJson', 1, 'string')],
  ['base64encode', extraFunction('base64encode', 1, 'string')],
  ['base64decode', extraFunction('base64decode', 1, 'string')],
  ['parseDate', extraFunction('parseDate', 1)],
  ['formatDate', extraFunction('formatDate', 1)],
]);
