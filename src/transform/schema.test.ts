import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileSchema, validateAgainstSchema } from './schema.js';

const order = {
  type: 'object',
  required: ['id', 'email'],
  additionalProperties: false,
  properties: {
    id: { type: 'integer', minimum: 1 },
    email: { type: 'string', format: 'email' },
    items: { type: 'array', items: { type: 'object', required: ['sku'] } },
  },
};

describe('validateAgainstSchema', () => {
  it('accepts valid data', () => {
    expect(validateAgainstSchema(order, { id: 1, email: 'a@b.co' })).toEqual({ valid: true, errors: [] });
  });

  it('lists every error as { path, message }, pointing at the member concerned', () => {
    const result = validateAgainstSchema(order, { id: 0, email: 'nope', extra: 1, items: [{}] });
    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '/id', message: 'must be >= 1' },
        { path: '/email', message: 'must match format "email"' },
        { path: '/extra', message: 'must NOT have additional properties' },
        { path: '/items/0/sku', message: "must have required property 'sku'" },
      ]),
    );
  });

  it('uses draft 2020-12 by default and draft-07 when declared', () => {
    const tuple2020 = { prefixItems: [{ type: 'string' }], items: false };
    expect(validateAgainstSchema(tuple2020, ['a']).valid).toBe(true);
    expect(validateAgainstSchema(tuple2020, ['a', 'b']).valid).toBe(false);
    const tuple07 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      items: [{ type: 'string' }],
      additionalItems: false,
    };
    expect(validateAgainstSchema(tuple07, ['a']).valid).toBe(true);
    expect(validateAgainstSchema(tuple07, ['a', 'b']).valid).toBe(false);
  });

  it('caches compiled schemas by content, whatever the key order', () => {
    expect(compileSchema({ type: 'string', minLength: 2 })).toBe(
      compileSchema({ minLength: 2, type: 'string' }),
    );
  });

  it('compiles the same $id twice without complaint', () => {
    expect(validateAgainstSchema({ $id: 'https://x.test/s', type: 'string' }, 'a').valid).toBe(true);
    expect(validateAgainstSchema({ $id: 'https://x.test/s', type: 'number' }, 'a').valid).toBe(false);
  });

  it('reports data deeper than the limit instead of recursing', () => {
    const deep = JSON.parse(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    const result = validateAgainstSchema(
      { $ref: '#/$defs/n', $defs: { n: { type: 'array', items: { $ref: '#/$defs/n' } } } },
      deep,
    );
    expect(result).toEqual({
      valid: false,
      errors: [{ path: '', message: 'is nested deeper than 256 levels' }],
    });
  });

  it('never throws for any JSON value', () => {
    const schemas = [
      order,
      true,
      false,
      { type: 'array', items: { type: 'number' }, uniqueItems: true },
      {
        anyOf: [
          { type: 'string', pattern: '^[a-z]+$' },
          { type: 'object', propertyNames: { maxLength: 3 } },
        ],
      },
      {
        $ref: '#/$defs/tree',
        $defs: { tree: { type: 'object', additionalProperties: { $ref: '#/$defs/tree' } } },
      },
      { type: 'string', format: 'date-time' },
    ];
    fc.assert(
      fc.property(fc.constantFrom(...schemas), fc.jsonValue(), (schema, data) => {
        const result = validateAgainstSchema(schema, data);
        expect(typeof result.valid).toBe('boolean');
        expect(result.valid).toBe(result.errors.length === 0);
      }),
      { numRuns: 500 },
    );
  });
});

describe('compileSchema', () => {
  it.each([
    [{ type: 'nope' }, '/type'],
    [{ properties: { a: { minimum: 'one' } } }, '/properties/a/minimum'],
    [{ $schema: 'http://json-schema.org/draft-04/schema#' }, '/$schema'],
    [{ $ref: '#/$defs/missing' }, ''],
    [{ type: 'string', pattern: '(a+)+$' }, ''],
    ['not a schema', ''],
  ])('refuses %j with KRX_SCHEMA_INVALID at %s', (schema, path) => {
    expect(() => compileSchema(schema)).toThrow(
      expect.objectContaining({
        code: 'KRX_SCHEMA_INVALID',
        extensions: { errors: expect.arrayContaining([expect.objectContaining({ path })]) },
      }),
    );
  });

  it('refuses schemas nested beyond the limit', () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 300; i++) schema = { items: schema };
    expect(() => compileSchema(schema)).toThrow(expect.objectContaining({ code: 'KRX_SCHEMA_INVALID' }));
  });
});
