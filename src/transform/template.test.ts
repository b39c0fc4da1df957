import { describe, expect, it } from 'vitest';
import { compileTemplate, renderTemplate } from './template.js';

const event = { id: 42, customer: { name: 'Ana', tags: ['vip'] }, items: [{ sku: 'a' }, { sku: 'b' }] };

describe('renderTemplate', () => {
  it('keeps the JSON type of a whole-string placeholder', async () => {
    expect(
      await renderTemplate(
        {
          id: '{{ id }}',
          tags: '{{customer.tags}}',
          count: '{{ $count(items) }}',
          customer: '{{ customer }}',
        },
        event,
      ),
    ).toEqual({ id: 42, tags: ['vip'], count: 2, customer: event.customer });
  });

  it('interpolates placeholders inside text', async () => {
    expect(await renderTemplate('Order {{ id }} for {{ customer.name }}: {{ items.sku }}', event)).toBe(
      'Order 42 for Ana: ["a","b"]',
    );
  });

  it('leaves literals, keys and non-strings alone', async () => {
    const template = { 'fixed {{ id }}': 'plain', n: 1, ok: true, none: null, list: ['{{ id }}', 'x'] };
    expect(await renderTemplate(template, event)).toEqual({
      'fixed {{ id }}': 'plain',
      n: 1,
      ok: true,
      none: null,
      list: [42, 'x'],
    });
  });

  it('omits object members with no result and writes null in lists and at the top', async () => {
    expect(
      await renderTemplate({ a: '{{ missing }}', b: ['{{ missing }}'], c: 'x{{ missing }}y' }, event),
    ).toEqual({ b: [null], c: 'xy' });
    expect(await renderTemplate('{{ missing }}', event)).toBeNull();
  });

  it('compiles once and renders many times', async () => {
    const render = compileTemplate({ text: 'Hi {{ name }}' });
    expect(await render({ name: 'A' })).toEqual({ text: 'Hi A' });
    expect(await render({ name: 'B' })).toEqual({ text: 'Hi B' });
  });

  it('names the leaf whose expression does not compile', () => {
    expect(() => compileTemplate({ body: { 'a/b': ['ok', 'x {{ 1 + }}'] } })).toThrow(
      expect.objectContaining({
        code: 'KRX_EXPRESSION_INVALID',
        extensions: { errors: [expect.objectContaining({ path: '/body/a~1b/1' })] },
      }),
    );
  });
});
