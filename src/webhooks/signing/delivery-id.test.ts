import { describe, expect, it } from 'vitest';
import { deliveryIdOf } from './index.js';

describe('deliveryIdOf', () => {
  it.each([
    ['standard-webhooks', { 'webhook-id': 'msg_1' }, undefined, 'msg_1'],
    ['github', { 'x-github-delivery': '72d3162e' }, undefined, '72d3162e'],
    ['stripe', {}, { id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy', object: 'event' }, 'evt_1NG8Du2eZvKYlo2CUI79vXWy'],
    ['slack', {}, { type: 'event_callback', event_id: 'Ev08MFMKH6' }, 'Ev08MFMKH6'],
    [
      'shopify',
      { 'x-shopify-webhook-id': 'b54557e4', 'x-shopify-event-id': '98880550' },
      undefined,
      'b54557e4',
    ],
    ['shopify', { 'x-shopify-event-id': '98880550' }, undefined, '98880550'],
  ] as const)('%s reads its provider id', (type, headers, body, id) => {
    expect(deliveryIdOf(type, headers, body)).toBe(id);
  });

  it('returns undefined when the provider sent none', () => {
    expect(deliveryIdOf('slack', {}, 'token=x&command=%2Fdeploy')).toBeUndefined();
    expect(deliveryIdOf('stripe', {}, [{ id: 'evt_1' }])).toBeUndefined();
    expect(deliveryIdOf('stripe', {}, { id: 42 })).toBeUndefined();
    expect(deliveryIdOf('hmac', { 'x-request-id': 'r-1' })).toBeUndefined();
    expect(deliveryIdOf('github', { 'x-github-delivery': ['a', 'b'] })).toBeUndefined();
    expect(deliveryIdOf('github', { 'x-github-delivery': 'x'.repeat(256) })).toBeUndefined();
  });

  it('prefers a configured header, for any type', () => {
    const headers = {
      'x-shopify-webhook-id': 'b54557e4',
      'x-shopify-event-id': '98880550',
      'x-request-id': 'r-1',
    };
    expect(deliveryIdOf('shopify', headers, undefined, { deliveryIdHeader: 'X-Shopify-Event-Id' })).toBe(
      '98880550',
    );
    expect(deliveryIdOf('hmac', headers, undefined, { deliveryIdHeader: 'x-request-id' })).toBe('r-1');
  });
});
