import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../limits.js';
import type { JsonValue } from '../types.js';
import { resolveFormat } from './content-type.js';
import { convertFormat } from './convert.js';

const toJson = (input: string, from: string, options = {}) =>
  convertFormat(input, { from, to: 'json', options });
const fromJson = (value: unknown, to: string, options = {}) =>
  convertFormat(value, { from: 'json', to, options });

describe('resolveFormat', () => {
  it.each([
    ['xml', 'xml'],
    ['application/json; charset=utf-8', 'json'],
    ['application/vnd.api+json', 'json'],
    ['text/xml', 'xml'],
    ['application/soap+xml', 'xml'],
    ['text/csv', 'csv'],
    ['application/yaml', 'yaml'],
    ['application/x-yaml', 'yaml'],
    ['application/x-www-form-urlencoded', 'form'],
  ])('%s → %s', (input, format) => {
    expect(resolveFormat(input)).toBe(format);
  });

  it('refuses anything else with KRX_UNSUPPORTED_MEDIA_TYPE', () => {
    expect(() => resolveFormat('image/png')).toThrow(
      expect.objectContaining({ code: 'KRX_UNSUPPORTED_MEDIA_TYPE' }),
    );
  });
});

describe('json', () => {
  it('accepts a value or JSON text and reports bad text', () => {
    expect(toJson('{"a":[1]}', 'json')).toEqual({ a: [1] });
    expect(convertFormat({ a: 1 }, { from: 'json', to: 'json' })).toEqual({ a: 1 });
    expect(() => toJson('{', 'json')).toThrow(expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }));
  });
});

describe('xml', () => {
  it('reads elements, attributes, repeated elements and the predefined entities', () => {
    const xml =
      '<?xml version="1.0"?><order id="7"><item>a &amp; b &#233;</item><item>c</item><total>10.5</total></order>';
    expect(toJson(xml, 'xml')).toEqual({ order: { '@_id': '7', item: ['a & b é', 'c'], total: '10.5' } });
    expect(toJson(xml, 'xml', { parseValues: true, attributePrefix: '$' })).toEqual({
      order: { $id: 7, item: ['a & b é', 'c'], total: 10.5 },
    });
  });

  it('writes a single-key object as the root and wraps anything else', () => {
    expect(fromJson({ order: { '@_id': 1, note: '<b>&' } }, 'xml')).toBe(
      '<order id="1"><note>&lt;b&gt;&amp;</note></order>',
    );
    expect(fromJson({ a: 1, b: 2 }, 'xml', { rootName: 'doc' })).toBe('<doc><a>1</a><b>2</b></doc>');
    expect(fromJson([1, 2], 'xml')).toBe('<root><item>1</item><item>2</item></root>');
  });

  it('refuses malformed documents and names that are not XML names', () => {
    expect(() => toJson('<a><b></a>', 'xml')).toThrow(
      expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }),
    );
    expect(() => fromJson({ 'bad name': 1 }, 'xml')).toThrow(/not a valid XML name/);
  });

  it('round-trips objects of non-blank strings with XML-name keys and lists of two or more items', () => {
    const text = fc
      .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
      .filter((s) => s.trim() === s && s.length > 0);
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    const { object } = fc.letrec<{ node: JsonValue; object: JsonValue }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        text,
        tie('object'),
        fc.array(fc.oneof(text, tie('object')), { minLength: 2, maxLength: 3 }),
      ),
      object: fc.dictionary(name, tie('node'), { minKeys: 1, maxKeys: 4 }),
    }));
    fc.assert(
      fc.property(fc.oneof(text, object), (value) => {
        // The root holds one element, so its value is text or an object; lists sit below it.
        const document = { root: value };
        expect(toJson(fromJson(document, 'xml') as string, 'xml')).toEqual(document);
      }),
      { numRuns: 300 },
    );
  });
});

describe('csv', () => {
  it('reads rows as objects by the header, or as arrays without it', () => {
    expect(toJson('a;b\n1;"x;""y"""\n', 'csv', { delimiter: ';' })).toEqual([{ a: '1', b: 'x;"y"' }]);
    expect(toJson('1,2\n3,4\n', 'csv', { header: false, parseValues: true })).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it('writes the union of keys as the header; nested values as JSON, null as empty', () => {
    expect(
      fromJson(
        [
          { a: 1, b: { c: true } },
          { a: 2, d: null },
        ],
        'csv',
      ),
    ).toBe('a,b,d\n1,"{""c"":true}",""\n2,"",""\n');
    expect(() => fromJson({ a: 1 }, 'csv')).toThrow(/list of rows/);
  });

  it('reads and writes another quote character', () => {
    expect(toJson("a,b\n'x,1',2\n", 'csv', { quote: "'" })).toEqual([{ a: 'x,1', b: '2' }]);
    expect(fromJson([{ a: 'x,1', b: "it's" }], 'csv', { quote: "'" })).toBe("a,b\n'x,1','it''s'\n");
  });

  it('refuses more rows than the bound and ragged rows', () => {
    const limits = { ...DEFAULT_LIMITS, maxCsvRows: 2 };
    expect(() => convertFormat('a\n1\n2\n3\n', { from: 'csv', to: 'json' }, limits)).toThrow(
      expect.objectContaining({ code: 'KRX_LIMIT_EXCEEDED' }),
    );
    expect(() => toJson('a,b\n1\n', 'csv')).toThrow(expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }));
  });

  it('round-trips lists of objects with the same non-empty keys and string values', () => {
    const rows = fc
      .uniqueArray(
        fc.string({ minLength: 1, maxLength: 6 }).filter((k) => !k.startsWith('\uFEFF')),
        {
          minLength: 1,
          maxLength: 4,
        },
      )
      .chain((keys) =>
        fc.array(
          fc
            .tuple(...keys.map(() => fc.string({ maxLength: 10 })))
            .map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]]))),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
      );
    fc.assert(
      fc.property(
        rows,
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('"', "'"),
        (value, delimiter, quote) => {
          const options = { delimiter, quote };
          expect(toJson(fromJson(value, 'csv', options) as string, 'csv', options)).toEqual(value);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('yaml', () => {
  it('reads and writes YAML 1.2 core types only', () => {
    expect(toJson('a: 1\nb: [x, "2"]\nc: 2024-01-01\nd: ~\n', 'yaml')).toEqual({
      a: 1,
      b: ['x', '2'],
      c: '2024-01-01',
      d: null,
    });
    const shared = { k: 1 };
    expect(fromJson({ a: shared, b: shared }, 'yaml')).toBe('a:\n  k: 1\nb:\n  k: 1\n');
  });

  it('round-trips JSON objects and lists', () => {
    // A bare string on the JSON side is read as JSON text, so the property starts from containers.
    const value = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(fc.oneof(fc.array(value), fc.dictionary(fc.string(), value)), (value) => {
        // JSON has one zero: -0 is written as 0.
        const json = JSON.parse(JSON.stringify(value));
        expect(toJson(fromJson(json, 'yaml') as string, 'yaml')).toEqual(json);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses duplicate keys and several documents', () => {
    expect(() => toJson('a: 1\na: 2\n', 'yaml')).toThrow(
      expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }),
    );
    expect(() => toJson('a: 1\n---\nb: 2\n', 'yaml')).toThrow(
      expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }),
    );
  });
});

describe('form', () => {
  it('reads flat forms; repeated keys become lists', () => {
    expect(toJson('a=1&b=x+y&b=%C3%A9', 'form')).toEqual({ a: '1', b: ['x y', 'é'] });
    expect(toJson('a[b]=1', 'form')).toEqual({ 'a[b]': '1' });
  });

  it('reads and writes bracketed keys when nested', () => {
    const form = 'user%5Bname%5D=Ana&user%5Btags%5D%5B%5D=a&user%5Btags%5D%5B%5D=b';
    const value = { user: { name: 'Ana', tags: ['a', 'b'] } };
    expect(toJson(form, 'form', { nested: true })).toEqual(value);
    expect(fromJson(value, 'form', { nested: true })).toBe(form);
    expect(toJson('__proto__[x]=1', 'form', { nested: true })).toEqual(JSON.parse('{"__proto__":{"x":"1"}}'));
  });

  it('refuses structure in flat mode and conflicting keys', () => {
    expect(() => fromJson({ a: { b: 1 } }, 'form')).toThrow(/options.nested/);
    expect(() => toJson('a=1&a[b]=2', 'form', { nested: true })).toThrow(
      expect.objectContaining({ code: 'KRX_FORMAT_INVALID' }),
    );
  });

  it('round-trips flat objects of strings', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.string()), (value) => {
        expect(toJson(fromJson(value, 'form') as string, 'form')).toEqual(value);
      }),
    );
  });
});

describe('bounds', () => {
  it('refuses text over maxInputBytes, counting UTF-8 bytes', () => {
    const limits = { ...DEFAULT_LIMITS, maxInputBytes: 10 };
    expect(() => convertFormat('"ééééé"', { from: 'json', to: 'json' }, limits)).toThrow(
      expect.objectContaining({ code: 'KRX_PAYLOAD_TOO_LARGE' }),
    );
    expect(() => convertFormat({ a: 'long enough' }, { from: 'json', to: 'yaml' }, limits)).toThrow(/output/);
  });

  it('refuses to read anything but text from a text format', () => {
    expect(() => convertFormat({ a: 1 }, { from: 'xml', to: 'json' })).toThrow(/expected text/);
  });
});
