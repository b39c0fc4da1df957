import type jsonata from 'jsonata';
import { FAST_FUNCTIONS } from './fast-functions.js';
import {
  append,
  BAIL,
  boolean,
  boolize,
  bounded,
  type Ctx,
  collapse,
  isArrayOfNumbers,
  isDeepEqual,
  isFunction,
  isNumeric,
  isSequence,
  type JS,
  lookup,
  seq,
  seqOf,
  spush,
  string,
  tick,
} from './fast-runtime.js';
import type { TransformLimits } from './limits.js';
import { stripSequenceMarkers } from './sequence-markers.js';

/*
 * The compiled fast path. A JSONata AST (`jsonata(text).ast()`) inside a well-defined subset is
 * turned, once, into a tree of synchronous closures — no eval, no generated source — that mirrors
 * JSONata's evaluator node by node (evaluate, evaluatePath, evaluateStep, evaluateFilter,
 * evaluateGroupExpression, ...), including its sequence semantics. The subset:
 *
 *   literals; paths of field names and subset expressions, with filter predicates `[...]` (index or
 *   boolean) and `[]`; `$` and `$$`; array and object constructors; `- + * / % = != < <= > >= & and
 *   or in`; `? :`, `?:` and `??`; blocks `( ...; ... )` whose statements may bind `$name := ...`
 *   (statement level only, not shadowing a function); calls to the functions in fast-functions.ts.
 *
 * Everything else — wildcards, descendants, parent `%`, `@`/`#` bindings, group-by `a{...}`, order-by,
 * ranges, regexes, lambdas, `~>`, transforms, unknown or unbound variables — keeps the whole
 * expression on JSONata. At run time, any case the port does not answer itself (every error JSONata
 * would raise, a sequence bound) throws BAIL and JSONata re-evaluates: the fast path is exact or silent.
 */

type Fn = (input: JS, ctx: Ctx) => JS;
type Node = JS;

export type FastPathPlan =
  | {
      supported: true /** Evaluates; the result is already clean of sequence markers. */;
      run: (data: unknown) => unknown;
    }
  | { supported: false; reason: string };

class Unsupported extends Error {}

function unsupported(reason: string): never {
  throw new Unsupported(reason);
}

/** AST properties that carry semantics the subset does not implement. */
const UNSUPPORTED_FLAGS = ['group', 'focus', 'index', 'tuple', 'ancestor', 'seekingParent', 'thunk'];

const NUMERIC_OPS = new Set(['+', '-', '*', '/', '%']);
const COMPARISON_OPS = new Set(['<', '<=', '>', '>=']);

interface Scope {
  names: Map<string, number>;
  parent?: Scope;
}

class Compiler {
  slots = 0;
  constructor(private readonly maxNesting: number) {}

  node(node: Node, scope: Scope, depth: number): Fn {
    if (depth > this.maxNesting) unsupported(`nesting deeper than ${this.maxNesting} levels`);
    if (node === null || typeof node !== 'object') unsupported('malformed node');
    for (const flag of UNSUPPORTED_FLAGS) {
      if (node[flag] !== undefined) unsupported(`"${flag}" (${node.type})`);
    }
    if (node.stages !== undefined) unsupported('stages outside a path');
    const inner = this.inner(node, scope, depth);
    const predicates = (node.predicate ?? []).map((p: Node) => this.filter(p, scope, depth + 1));
    const keepArray = node.keepArray === true;
    if (predicates.length === 0 && !keepArray) {
      // Constructors, literals, operators and our functions never return a sequence, and some inner
      // closures return collapsed values already: then there is nothing to collapse.
      if (NEVER_SEQUENCE.has(node.type) || node.type === 'unary' || COLLAPSED.has(inner)) return inner;
      return (input, ctx) => collapse(inner(input, ctx), false);
    }
    return (input, ctx) => {
      let result = inner(input, ctx);
      for (const predicate of predicates) result = predicate(result, ctx);
      return collapse(result, keepArray);
    };
  }

  private inner(node: Node, scope: Scope, depth: number): Fn {
    switch (node.type) {
      case 'string':
      case 'number':
      case 'value': {
        const value = node.value;
        if (node.type === 'number' && !Number.isFinite(value)) unsupported('non-finite number literal');
        return () => value;
      }
      case 'path':
        return this.path(node, scope, depth);
      case 'name': {
        const key = String(node.value);
        return (input, ctx) => lookup(ctx, input, key);
      }
      case 'variable':
        return this.variable(node, scope);
      case 'binary':
        return this.binary(node, scope, depth);
      case 'unary':
        return this.unary(node, scope, depth);
      case 'condition':
        return this.condition(node, scope, depth);
      case 'block':
        return this.block(node, scope, depth);
      case 'function':
        return this.call(node, scope, depth);
      case 'bind':
        return unsupported('":=" outside a block statement');
      default:
        return unsupported(`${node.type} expressions`);
    }
  }

  /** evaluateFilter: a `[...]` predicate or stage, applied to a (non-tuple) sequence. */
  private filter(stage: Node, scope: Scope, depth: number): (input: JS, ctx: Ctx) => JS {
    if (stage.type !== 'filter') unsupported(`${stage.type} stage`);
    const expr = stage.expr;
    if (expr?.type === 'number') {
      const index = Math.floor(expr.value);
      return (input, ctx) => {
        let results = seq(ctx);
        const items = Array.isArray(input) ? input : seqOf(ctx, input);
        const item = items[index < 0 ? items.length + index : index];
        if (item !== undefined) {
          if (Array.isArray(item)) results = item;
          else spush(ctx, results, item);
        }
        return results;
      };
    }
    const predicate = this.node(expr, scope, depth);
    return (input, ctx) => {
      const results = seq(ctx);
      const items = Array.isArray(input) ? input : seqOf(ctx, input);
      for (let index = 0; index < items.length; index++) {
        tick(ctx);
        const item = items[index];
        let res = predicate(item, ctx);
        if (isNumeric(res)) res = [res];
        if (isArrayOfNumbers(res)) {
          res.forEach((ires: number) => {
            let ii = Math.floor(ires);
            if (ii < 0) ii = items.length + ii;
            if (ii === index) spush(ctx, results, item);
          });
        } else if (boolean(res)) {
          spush(ctx, results, item);
        }
      }
      return results;
    };
  }

  private path(node: Node, scope: Scope, depth: number): Fn {
    const steps: Node[] = node.steps;
    if (!Array.isArray(steps) || steps.length === 0) unsupported('empty path');
    const compiled = steps.map((step, index) => {
      if (step.type === 'sort') unsupported('order-by');
      const evaluate = this.node({ ...step, stages: undefined }, scope, depth + 1);
      const stages = (step.stages ?? []).map((s: Node) => this.filter(s, scope, depth + 2));
      return { evaluate, stages, consarray: index === 0 && step.consarray === true };
    });
    const firstIsVariable = steps[0].type === 'variable';
    const keepSingletonArray = node.keepSingletonArray === true;
    const last = compiled.length - 1;

    /** evaluateStep for step `ii` over `input` (a sequence or array). */
    const step = (ii: number, input: JS, ctx: Ctx): JS => {
      const { evaluate, stages } = compiled[ii];
      const result = seq(ctx);
      for (let i = 0; i < input.length; i++) {
        tick(ctx);
        let res = evaluate(input[i], ctx);
        for (const stage of stages) res = stage(res, ctx);
        if (res !== undefined) spush(ctx, result, res);
      }
      if (ii === last && result.length === 1 && Array.isArray(result[0]) && !isSequence(result[0])) {
        return result[0];
      }
      const flattened = seq(ctx);
      result.forEach((res: JS) => {
        if (!Array.isArray(res) || (res as JS).cons) spush(ctx, flattened, res);
        else
          res.forEach((val) => {
            spush(ctx, flattened, val);
          });
      });
      return flattened;
    };

    /** evaluatePath from step `from`, whose input sequence is given. */
    const runFrom = (from: number, inputSequence: JS, ctx: Ctx): JS => {
      let current = inputSequence;
      let resultSequence: JS;
      for (let ii = from; ii < compiled.length; ii++) {
        resultSequence = compiled[ii].consarray
          ? compiled[ii].evaluate(current, ctx)
          : step(ii, current, ctx);
        if (resultSequence === undefined || resultSequence.length === 0) break;
        current = resultSequence;
      }
      if (keepSingletonArray) {
        if (
          Array.isArray(resultSequence) &&
          (resultSequence as JS).cons &&
          !(resultSequence as JS).sequence
        ) {
          resultSequence = seqOf(ctx, resultSequence);
        }
        resultSequence.keepSingleton = true;
        ctx.marked = true;
      }
      return resultSequence;
    };

    const generic: Fn = (input, ctx) =>
      runFrom(0, Array.isArray(input) && !firstIsVariable ? input : seqOf(ctx, input), ctx);

    const walkable =
      !keepSingletonArray &&
      node.keepArray !== true &&
      steps.every(
        (s) =>
          s.type === 'name' &&
          typeof s.value === 'string' &&
          s.predicate === undefined &&
          s.keepArray !== true &&
          (s.stages ?? []).every((stage: Node) => stage.type === 'filter' && stage.expr?.type === 'number'),
      );
    if (!walkable) return generic;

    // `a.b[0].c` over objects: every JSONata sequence on the way holds one item and collapses away, so
    // a plain walk gives the same answer. At the first array that is mapped over (or anything
    // unusual) the generic steps take over from the step before, whose input is known.
    const walk = steps.map((s) => ({
      key: s.value as string,
      indexes: (s.stages ?? []).map((stage: Node) => Math.floor(stage.expr.value)) as number[],
    }));
    return collapsed((input, ctx) => {
      let holder: JS; // the object the current value was read from
      let value: JS = input;
      for (let i = 0; i < walk.length; i++) {
        if (value === null || typeof value !== 'object') return undefined;
        if (Array.isArray(value) || value._jsonata_function === true || value._jsonata_lambda === true) {
          return collapse(i === 0 ? generic(input, ctx) : runFrom(i - 1, seqOf(ctx, holder), ctx), false);
        }
        const { key, indexes } = walk[i];
        if (!Object.hasOwn(value, key)) return undefined;
        holder = value;
        value = value[key];
        for (const index of indexes) {
          if (Array.isArray(value)) {
            const item = value[index < 0 ? value.length + index : index];
            if (Array.isArray(item) || isSequence(value))
              return collapse(runFrom(i, seqOf(ctx, holder), ctx), false);
            value = item;
          } else if (index !== 0 && index !== -1) {
            return undefined; // a lone value is a one-item sequence
          }
          if (value === undefined) return undefined;
        }
      }
      if (Array.isArray(value) && isSequence(value)) {
        return collapse(runFrom(walk.length - 1, seqOf(ctx, holder), ctx), false);
      }
      return value;
    });
  }

  private variable(node: Node, scope: Scope): Fn {
    const name = node.value;
    if (name === '') return (input) => (input?.outerWrapper ? input[0] : input);
    if (name === '$') return (_input, ctx) => ctx.root;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      const slot = s.names.get(name);
      // A bound value went through evaluate()'s collapse already (and collapsing is idempotent).
      if (slot !== undefined) return collapsed((_input, ctx) => ctx.vars[slot]);
    }
    return unsupported(`variable $${name} (not bound in the expression)`);
  }

  private binary(node: Node, scope: Scope, depth: number): Fn {
    const op: string = node.value;
    if (
      !NUMERIC_OPS.has(op) &&
      !COMPARISON_OPS.has(op) &&
      !['=', '!=', '&', 'and', 'or', 'in'].includes(op)
    ) {
      unsupported(`operator ${op}`);
    }
    const lhs = this.node(node.lhs, scope, depth + 1);
    const rhs = this.node(node.rhs, scope, depth + 1);
    if (op === 'and') return (input, ctx) => boolize(lhs(input, ctx)) && boolize(rhs(input, ctx));
    if (op === 'or') return (input, ctx) => boolize(lhs(input, ctx)) || boolize(rhs(input, ctx));
    if (NUMERIC_OPS.has(op)) {
      const apply = NUMERIC[op];
      return (input, ctx) => {
        const l = lhs(input, ctx);
        const r = rhs(input, ctx);
        if ((l !== undefined && !isNumeric(l)) || (r !== undefined && !isNumeric(r))) throw BAIL;
        return l === undefined || r === undefined ? undefined : apply(l, r);
      };
    }
    if (COMPARISON_OPS.has(op)) {
      const compare = COMPARE[op];
      return (input, ctx) => {
        const l = lhs(input, ctx);
        const r = rhs(input, ctx);
        const lt = typeof l;
        const rt = typeof r;
        if (!(lt === 'undefined' || lt === 'string' || lt === 'number')) throw BAIL;
        if (!(rt === 'undefined' || rt === 'string' || rt === 'number')) throw BAIL;
        if (lt === 'undefined' || rt === 'undefined') return undefined;
        if (lt !== rt) throw BAIL;
        return compare(l, r);
      };
    }
    switch (op) {
      case '=':
      case '!=': {
        const equal = op === '=';
        return (input, ctx) => {
          const l = lhs(input, ctx);
          const r = rhs(input, ctx);
          if (l === undefined || r === undefined) return false;
          return isDeepEqual(l, r) === equal;
        };
      }
      case '&':
        return (input, ctx) => {
          const l = lhs(input, ctx);
          const r = rhs(input, ctx);
          return bounded(
            ctx,
            (l === undefined ? '' : (string(l) as string)).concat(
              r === undefined ? '' : (string(r) as string),
            ),
          );
        };
      default:
        // in
        return (input, ctx) => {
          const l = lhs(input, ctx);
          const r = rhs(input, ctx);
          if (l === undefined || r === undefined) return false;
          const list = Array.isArray(r) ? r : [r];
          for (let i = 0; i < list.length; i++) if (list[i] === l) return true;
          return false;
        };
    }
  }

  private unary(node: Node, scope: Scope, depth: number): Fn {
    switch (node.value) {
      case '-': {
        const operand = this.node(node.expression, scope, depth + 1);
        return (input, ctx) => {
          const value = operand(input, ctx);
          if (value === undefined) return undefined;
          if (isNumeric(value)) return -value;
          throw BAIL;
        };
      }
      case '[':
        return this.arrayConstructor(node, scope, depth);
      case '{':
        return this.objectConstructor(node, scope, depth);
      default:
        return unsupported(`unary ${node.value}`);
    }
  }

  private arrayConstructor(node: Node, scope: Scope, depth: number): Fn {
    const items: Fn[] = node.expressions.map((item: Node) => this.node(item, scope, depth + 1));
    // JSONata pushes (does not flatten) an item that is itself an array constructor, tested as
    // `item.value === '['` — which a "[" string literal also passes; harmless, it is not an array.
    const nested: boolean[] = node.expressions.map((item: Node) => item.value === '[');
    const cons = node.consarray === true;
    return (input, ctx) => {
      const values = items.map((item) => item(input, ctx));
      let result: JS = [];
      for (let i = 0; i < values.length; i++) {
        const value = values[i];
        if (value === undefined) continue;
        if (nested[i]) result.push(value);
        else result = append(ctx, result, value);
      }
      if (cons)
        Object.defineProperty(result, 'cons', { enumerable: false, configurable: false, value: true });
      return result;
    };
  }

  private objectConstructor(node: Node, scope: Scope, depth: number): Fn {
    const pairs: Array<[Fn, Fn]> = node.lhs.map((pair: Node[]) => [
      this.node(pair[0], scope, depth + 1),
      this.node(pair[1], scope, depth + 1),
    ]);
    const literalKeys: string[] = node.lhs.map((pair: Node[]) =>
      pair[0].type === 'string' && pair[0].predicate === undefined && pair[0].keepArray !== true
        ? pair[0].value
        : undefined,
    );
    const generic = groupExpression(pairs);
    const simple =
      literalKeys.every(
        (key) => typeof key === 'string' && key !== '_jsonata_lambda' && key !== '_jsonata_function',
      ) && new Set(literalKeys).size === literalKeys.length;
    if (!simple) return generic;
    // Distinct literal keys over one (non-array) context: each pair makes its own member.
    const values = pairs.map((pair) => pair[1]);
    return (input, ctx) => {
      if (Array.isArray(input)) return generic(input, ctx);
      const result = Object.create(null);
      for (let i = 0; i < values.length; i++) {
        const value = values[i](input, ctx);
        if (value !== undefined) result[literalKeys[i]] = value;
      }
      return result;
    };
  }

  private condition(node: Node, scope: Scope, depth: number): Fn {
    const condition = this.node(node.condition, scope, depth + 1);
    const then = this.node(node.then, scope, depth + 1);
    const otherwise = node.else === undefined ? undefined : this.node(node.else, scope, depth + 1);
    return (input, ctx) => {
      if (boolean(condition(input, ctx))) return then(input, ctx);
      return otherwise?.(input, ctx);
    };
  }

  private block(node: Node, scope: Scope, depth: number): Fn {
    const inner: Scope = { names: new Map(), parent: scope };
    const statements: Fn[] = node.expressions.map((statement: Node) => {
      if (statement?.type !== 'bind') return this.node(statement, inner, depth + 1);
      return this.bind(statement, inner, depth + 1);
    });
    if (statements.length === 0) return () => undefined;
    if (statements.length === 1) return statements[0];
    return (input, ctx) => {
      let result: JS;
      for (let i = 0; i < statements.length; i++) result = statements[i](input, ctx);
      return result;
    };
  }

  /** `$name := value` as a block statement; the name is visible to the statements after it. */
  private bind(node: Node, scope: Scope, depth: number): Fn {
    if (depth > this.maxNesting) unsupported(`nesting deeper than ${this.maxNesting} levels`);
    for (const flag of [...UNSUPPORTED_FLAGS, 'predicate', 'keepArray', 'stages']) {
      if (node[flag] !== undefined) unsupported(`"${flag}" on :=`);
    }
    const name = node.lhs?.type === 'variable' ? node.lhs.value : undefined;
    if (typeof name !== 'string' || name === '' || name === '$') unsupported('binding $ or $$');
    if (FAST_FUNCTIONS.has(name) || BUILT_IN_NAMES.has(name)) unsupported(`binding $${name} over a function`);
    const value = this.node(node.rhs, scope, depth + 1);
    const slot = this.slots++;
    scope.names.set(name, slot);
    return (input, ctx) => {
      const result = value(input, ctx);
      ctx.vars[slot] = result;
      return result;
    };
  }

  private call(node: Node, scope: Scope, depth: number): Fn {
    const procedure = node.procedure;
    if (procedure?.type !== 'variable') unsupported('calling a computed function');
    for (const flag of [...UNSUPPORTED_FLAGS, 'predicate', 'keepArray', 'stages']) {
      if (procedure[flag] !== undefined) unsupported(`"${flag}" on a function name`);
    }
    const name: string = procedure.value;
    for (let s: Scope | undefined = scope; s; s = s.parent) {
      if (s.names.has(name)) unsupported(`calling variable $${name}`);
    }
    const fn = FAST_FUNCTIONS.get(name);
    if (!fn) unsupported(`function $${name}`);
    const args: Fn[] = node.arguments.map((arg: Node) => this.node(arg, scope, depth + 1));
    if (args.length < fn.minArgs || args.length > fn.maxArgs)
      unsupported(`$${name} with ${args.length} arguments`);
    const { signature, implementation, fast1 } = fn;
    if (args.length === 1 && fast1) {
      const [arg] = args;
      return (input, ctx) => fast1(arg(input, ctx));
    }
    return (input, ctx) => {
      const values = args.map((arg) => arg(input, ctx));
      for (const value of values) if (isFunction(value)) throw BAIL;
      return bounded(ctx, implementation(...signature.validate(values, input)));
    };
  }
}

/** Closures whose results went through evaluate()'s collapse already. */
const COLLAPSED = new WeakSet<Fn>();

function collapsed(fn: Fn): Fn {
  COLLAPSED.add(fn);
  return fn;
}

/**
 * Node types whose value never needs evaluate()'s collapse: never a sequence (literals, operators,
 * our functions; constructors, which are unary), or the value of a node evaluated — and so collapsed
 * — already (a condition's branch, a block's last statement). Collapsing twice changes nothing.
 */
const NEVER_SEQUENCE = new Set(['string', 'number', 'value', 'binary', 'function', 'condition', 'block']);

/** Function names JSONata binds that the fast path does not implement; a block may not rebind them. */
const BUILT_IN_NAMES = new Set(['now', 'millis']);

const NUMERIC: Record<string, (l: number, r: number) => number> = {
  '+': (l, r) => l + r,
  '-': (l, r) => l - r,
  '*': (l, r) => l * r,
  '/': (l, r) => l / r,
  '%': (l, r) => l % r,
};

const COMPARE: Record<string, (l: JS, r: JS) => boolean> = {
  '<': (l, r) => l < r,
  '<=': (l, r) => l <= r,
  '>': (l, r) => l > r,
  '>=': (l, r) => l >= r,
};

/** evaluateGroupExpression for an object constructor `{k: v, ...}` over a (non-tuple) context. */
function groupExpression(pairs: Array<[Fn, Fn]>): Fn {
  return (context, ctx) => {
    const result = Object.create(null);
    const groups: Record<string, { data: JS; exprIndex: number }> = Object.create(null);
    const input: JS = Array.isArray(context) ? context : seqOf(ctx, context);
    if (input.length === 0) {
      if (isSequence(input)) spush(ctx, input, undefined);
      else input.push(undefined);
    }
    for (let itemIndex = 0; itemIndex < input.length; itemIndex++) {
      tick(ctx);
      const item = input[itemIndex];
      for (let pairIndex = 0; pairIndex < pairs.length; pairIndex++) {
        const key = pairs[pairIndex][0](item, ctx);
        if (typeof key !== 'string' && key !== undefined) throw BAIL;
        if (key === undefined) continue;
        if (key === '_jsonata_lambda' || key === '_jsonata_function') throw BAIL;
        if (Object.hasOwn(groups, key)) {
          if (groups[key].exprIndex !== pairIndex) throw BAIL;
          groups[key].data = append(ctx, groups[key].data, item);
        } else {
          groups[key] = { data: item, exprIndex: pairIndex };
        }
      }
    }
    for (const key of Object.keys(groups)) {
      const entry = groups[key];
      const value = pairs[entry.exprIndex][1](entry.data, ctx);
      if (value !== undefined) result[key] = value;
    }
    return result;
  };
}

/**
 * Compiles an AST for the fast path, or says why not. `limits` bound it like JSONata: nesting (the
 * evaluator's depth, which for this subset equals the AST's nesting) must stay within
 * `expressionMaxDepth`; sequences within `expressionMaxSequence` (else JSONata re-runs and reports
 * it); time within `expressionTimeoutMs`.
 */
export function planFastPath(ast: jsonata.ExprNode, limits: TransformLimits): FastPathPlan {
  const maxNesting = limits.expressionMaxDepth > 0 ? limits.expressionMaxDepth : Number.POSITIVE_INFINITY;
  const compiler = new Compiler(maxNesting);
  let root: Fn;
  try {
    root = compiler.node(ast, { names: new Map() }, 1);
  } catch (error) {
    if (error instanceof Unsupported) return { supported: false, reason: error.message };
    if (error instanceof RangeError) return { supported: false, reason: 'expression too deep to compile' };
    throw error;
  }
  const slots = compiler.slots;
  const seqLimit = limits.expressionMaxSequence;
  const timeoutMs = limits.expressionTimeoutMs;
  return {
    supported: true,
    run(data) {
      const ctx: Ctx = {
        root: data,
        vars: slots === 0 ? EMPTY : new Array(slots),
        seqLimit,
        maxLength: limits.expressionMaxLength,
        timeoutMs,
        started: Date.now(),
        ops: 0,
        marked: false,
      };
      let input: JS = data;
      if (Array.isArray(input) && !isSequence(input)) {
        input = seqOf(ctx, input);
        input.outerWrapper = true;
      }
      const result = root(input, ctx);
      // No sequence made, no marker to clean (the walk is the cost of a result that embeds its input).
      if (ctx.marked) stripSequenceMarkers(result);
      return result;
    },
  };
}

const EMPTY: unknown[] = [];
