import { randomBytes, randomUUID } from 'node:crypto';
import { KryonixError } from '../../platform/errors.js';
import { type AuthConfigs, validateAuth } from './config.js';
import { CompiledScheme, type HmacScheme } from './hmac-scheme.js';
import { HMAC_SCHEMES } from './presets.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
import type { HmacAuthType, InboundAuth } from './types.js';

const STANDARD_WEBHOOKS = new CompiledScheme(
  HMAC_SCHEMES['standard-webhooks']({ toleranceSeconds: DEFAULT_TOLERANCE_SECONDS }),
);

export interface StandardWebhookMessage {
  /** Stable across retries of one delivery: receivers deduplicate on it. */
  readonly id: string;
  /** When this attempt is sent (not when the event happened): receivers reject it outside their tolerance. */
  readonly timestamp: Date;
  readonly body: Buffer | string;
  /** Active `whsec_` secrets, newest first; during a rotation overlap each signs, so receivers may hold either. */
  readonly secrets: readonly string[];
}

// A type alias, not an interface, so it is assignable to Record<string, string> header maps.
export type StandardWebhookHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

// Printable ASCII without `.`: the spec forbids `.` in the id, which would make `{id}.{timestamp}.{body}` ambiguous.
const MESSAGE_ID = /^[\x21-\x2d\x2f-\x7e]{1,255}$/;
const WHSEC = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

function unixSeconds(date: Date): string {
  return String(Math.floor(date.getTime() / 1000));
}

/** Signs an outbound delivery the Standard Webhooks way: one `v1,` signature per active secret. */
export function signStandardWebhooks(message: StandardWebhookMessage): StandardWebhookHeaders {
  // These come from our own id generator and secret store, so a bad one is a bug, not bad input.
  if (!MESSAGE_ID.test(message.id))
    throw new KryonixError('KRX_INTERNAL', 'webhook id must be printable ASCII without "."');
  if (message.secrets.length === 0 || !message.secrets.every((secret) => WHSEC.test(secret))) {
    throw new KryonixError('KRX_INTERNAL', 'signing needs at least one whsec_ secret');
  }
  const timestamp = unixSeconds(message.timestamp);
  const body = typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : message.body;
  const headers = STANDARD_WEBHOOKS.headers(message.secrets, { id: message.id, timestamp, body });
  return {
    'webhook-id': message.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': headers['webhook-signature'],
  };
}

/** A new signing secret: `whsec_` and 32 random bytes in base64 (the spec asks for 24 to 64). */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export interface SimulatedDelivery {
  readonly body: Buffer | string;
  /** Defaults to now. */
  readonly timestamp?: Date;
  /** Defaults to a fresh `msg_` id; only schemes that sign an id use it. */
  readonly id?: string;
  readonly method?: string;
  readonly url?: string;
}

/**
 * The headers a sender would add for an endpoint with this HMAC authentication, e.g. to send a test
 * delivery to one of our own endpoints or to load it in a benchmark. Throws KRX_VALIDATION_FAILED on bad settings.
 */
export function signForEndpoint(
  auth: InboundAuth & { readonly type: HmacAuthType },
  delivery: SimulatedDelivery,
): Record<string, string> {
  const valid = validateAuth(auth);
  const schemeOf = HMAC_SCHEMES[auth.type] as (config: AuthConfigs[HmacAuthType]) => HmacScheme;
  const scheme = schemeOf(valid.config as AuthConfigs[HmacAuthType]);
  const body = typeof delivery.body === 'string' ? Buffer.from(delivery.body, 'utf8') : delivery.body;
  return new CompiledScheme(scheme).headers(valid.secrets, {
    body,
    timestamp: unixSeconds(delivery.timestamp ?? new Date()),
    id: delivery.id ?? `msg_${randomUUID().replaceAll('-', '')}`,
    method: delivery.method,
    url: delivery.url,
  });
}
