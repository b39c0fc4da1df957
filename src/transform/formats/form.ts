import { KryonixError } from '../../platform/errors.js';
import type { TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';
import { type ConvertOptions, formatInvalid, setMember, type TextCodec } from './codec.js';

/*
 * application/x-www-form-urlencoded. Flat by default: `a=1&b=2` ⇄ { a: "1", b: "2" }, a repeated key
 * is a list. With `nested`, bracketed keys build structure: `a[b]=1&a[c][]=2` ⇄ { a: { b: "1", c: ["2"] } }.
 * Values are always strings when read.
 */

type Node = Record<string, unknown>;

function keyPath(key: string, nested: boolean): string[] {
  if (!nested) return [key];
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return [key];
  return [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1])];
}

function addValue(target: Node, path: string[], value: string, limits: TransformLimits): void {
  if (path.length > limits.maxDepth) {
    throw new KryonixError(
      'KRX_LIMIT_EXCEEDED',
      `A form key is nested deeper than ${limits.maxDepth} levels`,
    );
  }
  let node: Node | unknown[] = target;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    const nextIsList = path[i + 1] === '';
    if (Array.isArray(node)) {
      if (last) node.push(value);
      else node = pushContainer(node, nextIsList);
      return;
    }
    const existing = Object.hasOwn(node, segment) ? node[segment] : undefined;
    if (last) {
      if (existing === undefined) setMember(node, segment, value);
      else if (Array.isArray(existing)) existing.push(value);
      else if (typeof existing === 'string') setMember(node, segment, [existing, value]);
      else throw formatInvalid('form', `key "${segment}" is used both as a value and as a group`);
      return;
    }
    if (existing === undefined) {
      const container = nextIsList ? [] : {};
      setMember(node, segment, container);
      node = container;
    } else if (typeof existing === 'object' && existing !== null) {
      node = existing as Node | unknown[];
    } else {
      throw formatInvalid('form', `key "${segment}" is used both as a value and as a group`);
    }
  });
}

function pushContainer(list: unknown[], asList: boolean): Node | unknown[] {
  const container = asList ? [] : {};
  list.push(container);
  return container;
}

function decode(text: string, options: ConvertOptions, limits: TransformLimits): JsonValue {
  const result: Node = {};
  for (const [key, value] of new URLSearchParams(text.trim())) {
    addValue(result, keyPath(key, options.nested ?? false), value, limits);
  }
  return result as JsonValue;
}

function flatten(value: JsonValue, key: string, nested: boolean, out: Array<[string, string]>): void {
  if (value === null || typeof value !== 'object') {
    out.push([key, value === null ? '' : String(value)]);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (item !== null && typeof item === 'object') {
        if (!nested)
          throw formatInvalid('form', `"${key}" holds a structure; set options.nested to write it`);
        flatten(item, `${key}[]`, nested, out);
      } else {
        flatten(item, nested ? `${key}[]` : key, nested, out);
      }
    }
  } else {
    if (!nested) throw formatInvalid('form', `"${key}" holds an object; set options.nested to write it`);
    for (const [member, child] of Object.entries(value)) flatten(child, `${key}[${member}]`, nested, out);
  }
}

function encode(value: JsonValue, options: ConvertOptions): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw formatInvalid('form', 'only an object can be written as a form');
  }
  const pairs: Array<[string, string]> = [];
  for (const [key, member] of Object.entries(value)) flatten(member, key, options.nested ?? false, pairs);
  return new URLSearchParams(pairs).toString();
}

export const formCodec: TextCodec = { decode, encode };
