import type { AuthConfigs, TimestampedPresetConfig } from './config.js';
import type { HmacScheme } from './hmac-scheme.js';
import { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
import type { HmacAuthType, PresetType } from './types.js';

/**
 * The provider schemes, as data. Each entry was checked against the provider's documentation:
 * Standard Webhooks spec (standard-webhooks.md), Stripe "Check the webhook signatures", GitHub
 * "Validating webhook deliveries", Slack "Verifying requests from Slack", Shopify "Verify webhook deliveries".
 * The tolerance comes from the endpoint's config (default 300 s).
 */
export const HMAC_PRESETS: Readonly<Record<PresetType, Omit<HmacScheme, 'toleranceSeconds'>>> = {
  'standard-webhooks': {
    algorithm: 'sha256',
    encoding: 'base64',
    signatureHeader: 'webhook-signature',
    signatureFormat: 'standard-webhooks',
    prefix: '',
    signed: '{id}.{timestamp}.{body}',
    idHeader: 'webhook-id',
    timestampHeader: 'webhook-timestamp',
    secretFormat: 'whsec',
  },
  // Stripe keys the HMAC with the whole `whsec_...` text, unlike Standard Webhooks.
  stripe: {
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'stripe-signature',
    signatureFormat: 'stripe',
    prefix: '',
    signed: '{timestamp}.{body}',
    secretFormat: 'utf8',
  },
  // GitHub signs no timestamp: a captured delivery can be replayed; dedup on X-GitHub-Delivery is the only guard.
  github: {
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'x-hub-signature-256',
    signatureFormat: 'plain',
    prefix: 'sha256=',
    signed: '{body}',
    secretFormat: 'utf8',
  },
  slack: {
    algorithm: 'sha256',
    encoding: 'hex',
    signatureHeader: 'x-slack-signature',
    signatureFormat: 'plain',
    prefix: 'v0=',
    signed: 'v0:{timestamp}:{body}',
    timestampHeader: 'x-slack-request-timestamp',
    secretFormat: 'utf8',
  },
  // Shopify signs no timestamp either; same caveat as GitHub.
  shopify: {
    algorithm: 'sha256',
    encoding: 'base64',
    signatureHeader: 'x-shopify-hmac-sha256',
    signatureFormat: 'plain',
    prefix: '',
    signed: '{body}',
    secretFormat: 'utf8',
  },
};

/** Turns an endpoint's validated settings into the HMAC scheme that verifies (or simulates) its requests. */
export const HMAC_SCHEMES: { readonly [T in HmacAuthType]: (config: AuthConfigs[T]) => HmacScheme } = {
  hmac: (config) => ({
    algorithm: config.algorithm,
    encoding: config.encoding,
    signatureHeader: config.header,
    signatureFormat: 'plain',
    prefix: config.prefix,
    signed: config.signed,
    timestampHeader: config.timestampHeader,
    idHeader: config.idHeader,
    secretFormat: 'utf8',
    toleranceSeconds: config.toleranceSeconds,
  }),
  'standard-webhooks': preset('standard-webhooks'),
  stripe: preset('stripe'),
  github: preset('github'),
  slack: preset('slack'),
  shopify: preset('shopify'),
};

function preset(type: PresetType) {
  return (config: Partial<TimestampedPresetConfig>): HmacScheme => ({
    ...HMAC_PRESETS[type],
    toleranceSeconds: config.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS,
  });
}
