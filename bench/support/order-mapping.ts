/** The 20-field order mapping bench:transform measures; the fast path's property test checks it too. */
import type { FieldMapping } from '../../src/transform/index.js';

export const ORDER_FIELDS: FieldMapping[] = [
  { from: 'id', to: 'order.id' },
  { from: 'status', to: 'order.status', transform: 'uppercase' },
  { from: 'createdAt', to: 'order.created' },
  { from: 'currency', to: 'order.currency', transform: 'uppercase' },
  { from: 'total', to: 'order.total', transform: 'number' },
  { from: 'customer.id', to: 'customer.externalId' },
  { from: 'customer.name', to: 'customer.name', transform: 'trim' },
  { from: 'customer.email', to: 'customer.email', transform: 'lowercase' },
  { from: 'customer.phone', to: 'customer.phone' },
  { from: 'customer.vip', to: 'customer.vip', transform: 'boolean' },
  { from: 'customer.address.street', to: 'shipTo.line1' },
  { from: 'customer.address.city', to: 'shipTo.city' },
  { from: 'customer.address.state', to: 'shipTo.state', transform: 'uppercase' },
  { from: 'customer.address.zip', to: 'shipTo.postalCode' },
  { from: 'customer.address.country', to: 'shipTo.country' },
  { from: 'items[0].sku', to: 'firstItem.sku' },
  { from: 'items[0].quantity', to: 'firstItem.quantity', transform: 'string' },
  { from: 'shipping.carrier', to: 'shipping.carrier' },
  { from: 'shipping.tracking', to: 'shipping.tracking' },
  { from: 'metadata.channel', to: 'source.channel', default: 'unknown' },
];
