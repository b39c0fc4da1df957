/*
 * The parts of JSONata 2's evaluator runtime the fast path needs, ported line by line from
 * jsonata.js (2.2.x) and made synchronous: sequences (arrays flagged `sequence`, `keepSingleton`,
 * `outerWrapper`, `cons`), `lookup`, `append`, `$boolean`, `$string`, deep equality. Code here mirrors
 * the original's quirks on purpose — the fast path must answer exactly what JSONata answers.
 *
 * Whenever JSONata would throw (a type error, a bound), the port throws BAIL instead and the caller
 * re-runs the expression on JSONata, which produces the real error. Only the time bound is reported
 * directly (FastTimeout), so a slow evaluation does not get a second budget.
 */

// biome-ignore lint/suspicious/noExplicitAny: JSONata's runtime is untyped; the port keeps its dynamic semantics.
export type JS = any;

/** Thrown when the fast path cannot (or must not) answer; JSONata then evaluates the expression. */
export const BAIL: { readonly bail: true } = Object.freeze({ bail: true });

/** The expression ran past its time budget: the same failure JSONata reports as D1012. */
export class FastTimeout {
  readonly code = 'D1012';
  readonly message: string;
  constructor(timeoutMs: number) {
    this.message = `Evaluation timeout after ${timeoutMs} milliseconds. Check for infinite loop`;
  }
}

/** Per-evaluation state: the root (`$$`), block variables by slot, bounds. */
export interface Ctx {
  root: unknown;
  vars: unknown[];
  /** JSONata's `sequence` option: a sequence may not grow past it (0 = unbounded pushes). */
  seqLimit: number;
  /** `expressionMaxLength`: a longer string or array makes the call JSONata's, which reports it. */
  maxLength: number;
  timeoutMs: number;
  started: number;
  ops: number;
  /** Set once a sequence (or a keepSingleton flag) exists: only then can the result carry markers. */
  marked: boolean;
}

/** Every 1,024 loop steps over data, the clock is read; JSONata reads it on every node. */
export function tick(ctx: Ctx): void {
  if ((++ctx.ops & 1023) === 0 && ctx.timeoutMs > 0 && Date.now() - ctx.started > ctx.timeoutMs) {
    throw new FastTimeout(ctx.timeoutMs);
  }
}

/** A string or array the fast path built, within the length bound (else JSONata re-runs and reports). */
export function bounded<T>(ctx: Ctx, value: T): T {
  if ((typeof value === 'string' || Array.isArray(value)) && value.length > ctx.maxLength) throw BAIL;
  return value;
}

/** createSequence(): an empty sequence. */
export function seq(ctx: Ctx): JS[] {
  ctx.marked = true;
  const sequence: JS = [];
  sequence.sequence = true;
  return sequence;
}

/** createSequence(value): JSONata pushes its one argument even when it is undefined. */
export function seqOf(ctx: Ctx, value: unknown): JS[] {
  ctx.marked = true;
  const sequence: JS = [];
  sequence.sequence = true;
  spush(ctx, sequence, value);
  return sequence;
}

/** A sequence's bounded push (JSONata installs it only when the `sequence` option is set). */
export function spush(ctx: Ctx, sequence: JS[], value: unknown): void {
  if (ctx.seqLimit && sequence.length + 1 > ctx.seqLimit) throw BAIL;
  sequence.push(value);
}

export function isSequence(value: JS): boolean {
  return value.sequence === true && Array.isArray(value);
}

export function isFunction(arg: JS): boolean {
  return (
    Boolean(arg && (arg._jsonata_function === true || arg._jsonata_lambda === true)) ||
    typeof arg === 'function'
  );
}

/** utils.isNumeric: NaN is not numeric; ±Infinity is an error (D1001). */
export function isNumeric(n: unknown): boolean {
  if (typeof n !== 'number') return false;
  if (Number.isNaN(n)) return false;
  if (!Number.isFinite(n)) throw BAIL;
  return true;
}

export function isArrayOfNumbers(arg: JS): boolean {
  return Array.isArray(arg) && arg.filter((item) => !isNumeric(item)).length === 0;
}

/** The collapse at the end of evaluate(): [] → undefined, [x] → x unless the sequence keeps singletons. */
export function collapse(result: JS, keepArray: boolean): JS {
  if (result && isSequence(result) && !result.tupleStream) {
    if (keepArray) result.keepSingleton = true;
    if (result.length === 0) return undefined;
    if (result.length === 1) return result.keepSingleton ? result : result[0];
  }
  return result;
}

/** fn.lookup: a member of an object, or of every object in a (nested) array, flattened one level. */
export function lookup(ctx: Ctx, input: JS, key: string): JS {
  if (Array.isArray(input)) {
    const result = seq(ctx);
    for (let ii = 0; ii < input.length; ii++) {
      tick(ctx);
      const res = lookup(ctx, input[ii], key);
      if (res !== undefined) {
        if (Array.isArray(res))
          res.forEach((val) => {
            spush(ctx, result, val);
          });
        else spush(ctx, result, res);
      }
    }
    return result;
  }
  if (input !== null && typeof input === 'object' && Object.hasOwn(input, key) && !isFunction(input)) {
    return input[key];
  }
  return undefined;
}

/** fn.append as called by the array constructor (with the evaluator's options, so size-checked). */
export function append(ctx: Ctx, arg1: JS, arg2: JS): JS {
  if (arg1 === undefined) return arg2;
  if (arg2 === undefined) return arg1;
  const first = Array.isArray(arg1) ? arg1 : seqOf(ctx, arg1);
  const second = Array.isArray(arg2) ? arg2 : [arg2];
  // JSONata compares with the raw option (no truthiness test), so a 0 bound refuses every append.
  if (first.length + second.length > ctx.seqLimit) throw BAIL;
  return first.concat(second);
}

/** fn.boolean: JSONata's effective boolean value. */
export function boolean(arg: JS): boolean | undefined {
  if (arg === undefined) return undefined;
  let result = false;
  if (Array.isArray(arg)) {
    if (arg.length === 1) result = boolean(arg[0]) as boolean;
    else if (arg.length > 1) result = arg.filter((val) => boolean(val)).length > 0;
  } else if (typeof arg === 'string') {
    if (arg.length > 0) result = true;
  } else if (isNumeric(arg)) {
    if (arg !== 0) result = true;
  } else if (arg !== null && typeof arg === 'object' && !isFunction(arg)) {
    if (Object.keys(arg).length > 0) result = true;
  } else if (typeof arg === 'boolean' && arg === true) {
    result = true;
  }
  return result;
}

/** boolize: and/or operands. */
export function boolize(value: JS): boolean {
  const booled = boolean(value);
  return booled === undefined ? false : booled;
}

/** fn.string: JSON text for non-strings, numbers at 15 significant digits, functions as "". */
export function string(arg: JS, prettify = false): string | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'string') return arg;
  if (isFunction(arg)) return '';
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg)) throw BAIL;
    // What JSON.stringify with JSONata's replacer gives for a lone number, without the replacer.
    return String(Number.isInteger(arg) ? arg : Number(arg.toPrecision(15)));
  }
  if (typeof arg === 'boolean' || arg === null) return String(arg);
  const value = Array.isArray(arg) && (arg as JS).outerWrapper ? arg[0] : arg;
  return JSON.stringify(
    value,
    (_key, val) => {
      if (val !== undefined && val !== null && isNumeric(val)) {
        return val.toPrecision && !Number.isInteger(val) ? Number(val.toPrecision(15)) : val;
      }
      return val && isFunction(val) ? '' : val;
    },
    prettify ? 2 : 0,
  );
}

/** utils.isDeepEqual (recursive; a stack overflow on absurd depth just sends the call to JSONata). */
export function isDeepEqual(lhs: JS, rhs: JS): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs === 'object' && typeof rhs === 'object' && lhs !== null && rhs !== null) {
    if (Array.isArray(lhs) && Array.isArray(rhs)) {
      if (lhs.length !== rhs.length) return false;
      for (let ii = 0; ii < lhs.length; ii++) if (!isDeepEqual(lhs[ii], rhs[ii])) return false;
      return true;
    }
    const lkeys = Object.getOwnPropertyNames(lhs).sort();
    const rkeys = Object.getOwnPropertyNames(rhs).sort();
    if (lkeys.length !== rkeys.length) return false;
    for (let ii = 0; ii < lkeys.length; ii++) if (lkeys[ii] !== rkeys[ii]) return false;
    for (const key of lkeys) if (!isDeepEqual(lhs[key], rhs[key])) return false;
    return true;
  }
  return false;
}

/** utils.stringToArray: by code point. */
export function stringToArray(str: string): string[] {
  const arr: string[] = [];
  for (const char of str) arr.push(char);
  return arr;
}
