import { exceedsDepth } from './depth.js';
import { type CompiledExpression, compileExpression, evaluateCompiled } from './expression.js';
import { invalid, pointerSegment, underPath } from './issues.js';
import { DEFAULT_LIMITS, type TransformLimits } from './limits.js';
import type { JsonValue } from './types.js';

/*
 * A template is any JSON value. A string leaf that is exactly `{{ expr }}` becomes the expression's
 * result with its JSON type; a string with `{{ expr }}` inside is interpolated text. An expression
 * with no result drops the member from its object (or becomes null inside an array / at the top).
 */

type TemplateNode =
  | { kind: 'literal'; value: JsonValue }
  | { kind: 'expression'; expression: CompiledExpression }
  | { kind: 'text'; parts: Array<string | CompiledExpression> }
  | { kind: 'array'; items: TemplateNode[] }
  | { kind: 'object'; members: Array<[string, TemplateNode]> };

export type CompiledTemplate = (data: unknown) => Promise<JsonValue>;

const PLACEHOLDER = /\{\{([\s\S]+?)\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{([\s\S]+?)\}\}$/;

/** Compiles every placeholder once; throws KRX_EXPRESSION_INVALID naming the leaf (`/body/name`). */
export function compileTemplate(
  template: JsonValue,
  limits: TransformLimits = DEFAULT_LIMITS,
): CompiledTemplate {
  if (exceedsDepth(template, limits.maxDepth)) {
    throw invalid('KRX_VALIDATION_FAILED', [
      { path: '', message: `The template is nested deeper than ${limits.maxDepth} levels` },
    ]);
  }
  const root = compileNode(template, '', limits);
  return async (data) => (await renderNode(root, data)) ?? null;
}

function compileNode(value: JsonValue, path: string, limits: TransformLimits): TemplateNode {
  if (typeof value === 'string') return compileString(value, path, limits);
  if (Array.isArray(value)) {
    return {
      kind: 'array',
      items: value.map((item, i) => compileNode(item, path + pointerSegment(i), limits)),
    };
  }
  if (value !== null && typeof value === 'object') {
    return {
      kind: 'object',
      members: Object.entries(value).map(([key, member]) => [
        key,
        compileNode(member, path + pointerSegment(key), limits),
      ]),
    };
  }
  return { kind: 'literal', value };
}

function compileString(text: string, path: string, limits: TransformLimits): TemplateNode {
  const compile = (source: string): CompiledExpression => {
    try {
      return compileExpression(source.trim(), { limits });
    } catch (error) {
      throw underPath(error, path);
    }
  };
  const whole = WHOLE_PLACEHOLDER.exec(text);
  if (whole && !whole[1].includes('{{')) return { kind: 'expression', expression: compile(whole[1]) };
  const parts: Array<string | CompiledExpression> = [];
  let last = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push(compile(match[1]));
    last = match.index + match[0].length;
  }
  if (parts.length === 0) return { kind: 'literal', value: text };
  if (last < text.length) parts.push(text.slice(last));
  return { kind: 'text', parts };
}

async function renderNode(node: TemplateNode, data: unknown): Promise<JsonValue | undefined> {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'expression':
      return (await evaluateCompiled(node.expression, data)) as JsonValue | undefined;
    case 'text': {
      const pieces = await Promise.all(
        node.parts.map(async (part) =>
          typeof part === 'string' ? part : asText(await evaluateCompiled(part, data)),
        ),
      );
      return pieces.join('');
    }
    case 'array':
      return Promise.all(node.items.map(async (item) => (await renderNode(item, data)) ?? null));
    case 'object': {
      const rendered: Record<string, JsonValue> = {};
      for (const [key, member] of node.members) {
        const value = await renderNode(member, data);
        if (value !== undefined)
          Object.defineProperty(rendered, key, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
      }
      return rendered;
    }
  }
}

function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Compile (expressions cached) and render once. */
export async function renderTemplate(
  template: JsonValue,
  data: unknown,
  limits: TransformLimits = DEFAULT_LIMITS,
): Promise<JsonValue> {
  return compileTemplate(template, limits)(data);
}
