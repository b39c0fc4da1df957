import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { expect, it } from 'vitest';
import { counted, inputFromQuery } from './streams.js';

const schema = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    overwrite: { type: 'boolean' },
    limit: { type: 'integer' },
    ratio: { type: 'number' },
  },
};

it('reads query values as the input schema types them, leaving the rest to the schema check', () => {
  expect(inputFromQuery(schema, { path: 'a/b.csv', overwrite: 'false', limit: '10', ratio: '0.5' })).toEqual({
    path: 'a/b.csv',
    overwrite: false,
    limit: 10,
    ratio: 0.5,
  });
  // Not a boolean or a number: kept as text, so the schema check names the field.
  expect(inputFromQuery(schema, { overwrite: 'yes', limit: '', extra: 'x' })).toEqual({
    overwrite: 'yes',
    limit: '',
    extra: 'x',
  });
  expect(inputFromQuery(schema, { path: ['a', 'b'] })).toEqual({ path: ['a', 'b'] });
});

it('counts the bytes passing through without changing them, and passes errors on', async () => {
  const { stream, bytes } = counted(Readable.from([Buffer.from('abc'), Buffer.from('de')]));
  expect(await text(stream)).toBe('abcde');
  expect(bytes()).toBe(5);

  const failing = new Readable({ read() {} });
  const broken = counted(failing);
  failing.destroy(new Error('gone'));
  await expect(text(broken.stream)).rejects.toThrow('gone');
});
