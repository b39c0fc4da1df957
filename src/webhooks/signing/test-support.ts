import type { InboundRequest, RequestHeaders } from './types.js';

/** The fixed clock every test verifies against. */
export const NOW = new Date('2026-01-15T12:00:00Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

export function request(
  headers: RequestHeaders,
  body: Buffer | string,
  method = 'POST',
  url = '/webhooks/abc',
): InboundRequest {
  return { headers, rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), method, url };
}
