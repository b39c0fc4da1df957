import { describe, expect, it } from 'vitest';
import { parseFieldPath, readPath } from './field-path.js';

describe('parseFieldPath', () => {
  it.each([
    ['a', ['a']],
    ['a.b[0].c', ['a', 'b', 0, 'c']],
    ['[2].x', [2, 'x']],
    ['a[0][1]', ['a', 0, 1]],
    ['a["b.c"].d', ['a', 'b.c', 'd']],
    ['["x]\\"y"]', ['x]"y']],
    ['ação.ünïcode', ['ação', 'ünïcode']],
  ])('reads %s', (path, segments) => {
    expect(parseFieldPath(path)).toEqual(segments);
  });

  it.each(['', 'a..b', '.a', 'a.', 'a[', 'a[x]', 'a[-1]', 'a]', 'a[0]b', 'a["unterminated]'])(
    'refuses %j',
    (path) => {
      expect(() => parseFieldPath(path)).toThrow();
    },
  );
});

describe('readPath', () => {
  const data = { a: { b: [{ c: 1 }, { c: null }] }, list: [10, 20] };

  it('follows keys and indexes exactly', () => {
    expect(readPath(data, ['a', 'b', 1, 'c'])).toBeNull();
    expect(readPath(data, ['list', 1])).toBe(20);
  });

  it('is undefined for anything missing or of the wrong kind', () => {
    expect(readPath(data, ['a', 'x'])).toBeUndefined();
    expect(readPath(data, ['list', 'length'])).toBeUndefined();
    expect(readPath(data, ['a', 0])).toBeUndefined();
    expect(readPath('text', ['length'])).toBeUndefined();
    expect(readPath({}, ['constructor'])).toBeUndefined();
  });
});
