import type { AuthType, RequestHeaders } from './types.js';

type DeliveryIdSource = { readonly header: string } | { readonly bodyField: string };

/**
 * Where each provider puts the id that stays the same when it retries a delivery. Tried in order.
 * Slack's `event_id` exists only for the Events API; slash commands and interactivity carry none.
 * Shopify documents both X-Shopify-Webhook-Id (its delivery-verification page) and X-Shopify-Event-Id
 * (its duplicates page, shared by every subscription to the same event); the endpoint's
 * `deliveryIdHeader` chooses when the default does not fit.
 */
export const DELIVERY_ID_SOURCES: Readonly<Partial<Record<AuthType, readonly DeliveryIdSource[]>>> = {
  'standard-webhooks': [{ header: 'webhook-id' }],
  stripe: [{ bodyField: 'id' }],
  github: [{ header: 'x-github-delivery' }],
  slack: [{ bodyField: 'event_id' }],
  shopify: [{ header: 'x-shopify-webhook-id' }, { header: 'x-shopify-event-id' }],
};

// Longer values are not ids; refusing them keeps the dedup keys bounded.
const MAX_ID_LENGTH = 255;

function usable(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function read(source: DeliveryIdSource, headers: RequestHeaders, parsedBody: unknown): unknown {
  if ('header' in source) return headers[source.header];
  return typeof parsedBody === 'object' && parsedBody !== null && !Array.isArray(parsedBody)
    ? (parsedBody as Record<string, unknown>)[source.bodyField]
    : undefined;
}

/**
 * The provider's delivery id, for deduplication, or undefined when the request carries none.
 * Body-derived ids (Stripe, Slack) need `parsedBody`; `config.deliveryIdHeader`, when set, wins.
 */
export function deliveryIdOf(
  type: AuthType,
  headers: RequestHeaders,
  parsedBody?: unknown,
  config?: { readonly deliveryIdHeader?: unknown },
): string | undefined {
  const configured = config?.deliveryIdHeader;
  const sources =
    typeof configured === 'string' ? [{ header: configured.toLowerCase() }] : DELIVERY_ID_SOURCES[type];
  for (const source of sources ?? []) {
    const value = read(source, headers, parsedBody);
    if (usable(value)) return value;
  }
  return undefined;
}
