/**
 * Field paths as people write them: `a.b[0].c`, with `["odd.key"]` (a JSON string in brackets) for
 * keys that contain `.`, `[` or `]`. Used by declarative mappings and `where` filters.
 */
export type PathSegment = string | number;

export function parseFieldPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const close = findBracketClose(path, i);
      const inner = path.slice(i + 1, close);
      segments.push(inner.startsWith('"') ? parseQuotedKey(inner, path) : parseIndex(inner, path));
      i = close + 1;
    } else {
      if (path[i] === '.') {
        if (segments.length === 0 || i + 1 >= path.length)
          throw new Error(`Field path "${path}" has an empty segment`);
        i++;
        if (path[i] === '[' || path[i] === '.') throw new Error(`Field path "${path}" has an empty segment`);
      } else if (segments.length > 0) {
        throw new Error(`Field path "${path}" needs a "." before "${path.slice(i)}"`);
      }
      let end = i;
      while (end < path.length && !'.['.includes(path[end])) end++;
      if (path[end - 1] === ']' || path.slice(i, end).includes(']')) {
        throw new Error(`Field path "${path}" has an unmatched "]"`);
      }
      segments.push(path.slice(i, end));
      i = end;
    }
  }
  if (segments.length === 0) throw new Error('A field path may not be empty');
  return segments;
}

function findBracketClose(path: string, open: number): number {
  let i = open + 1;
  if (path[i] === '"') {
    i++;
    while (i < path.length && path[i] !== '"') i += path[i] === '\\' ? 2 : 1;
    i++;
  }
  const close = path.indexOf(']', i);
  if (close === -1) throw new Error(`Field path "${path}" has an unclosed "["`);
  return close;
}

function parseQuotedKey(inner: string, path: string): string {
  try {
    const key: unknown = JSON.parse(inner);
    if (typeof key === 'string') return key;
  } catch {
    // reported below with the whole path for context
  }
  throw new Error(`Field path "${path}" has a malformed quoted key ${inner}`);
}

function parseIndex(inner: string, path: string): number {
  if (!/^\d{1,9}$/.test(inner)) throw new Error(`Field path "${path}" has a bad index [${inner}]`);
  return Number(inner);
}

/** Reads a path from a value; undefined when any step is missing. */
export function readPath(value: unknown, segments: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[segment];
    } else {
      if (Array.isArray(node) || !Object.hasOwn(node, segment)) return undefined;
      node = (node as Record<string, unknown>)[segment];
    }
  }
  return node;
}
