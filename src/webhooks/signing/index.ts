/**
 * Webhook signing: authenticates inbound deliveries (every preset over the raw body bytes, compared in
 * constant time, timestamps within a tolerance) and signs outbound ones the Standard Webhooks way.
 */
export type { AuthConfigs, HmacConfig, JwtConfig, ValidAuth } from './config.js';
export { AUTH_CONFIG_SCHEMAS, validateAuth } from './config.js';
export { DELIVERY_ID_SOURCES, deliveryIdOf } from './delivery-id.js';
export type { SimulatedDelivery, StandardWebhookHeaders, StandardWebhookMessage } from './sign.js';
export { generateWebhookSecret, signForEndpoint, signStandardWebhooks } from './sign.js';
export { DEFAULT_TOLERANCE_SECONDS } from './timestamp.js';
export type {
  AuthType,
  HmacAuthType,
  InboundAuth,
  InboundRequest,
  PresetType,
  RequestHeaders,
  VerifyFailure,
  VerifyResult,
} from './types.js';
export { AUTH_TYPES } from './types.js';
export { verifyInbound } from './verify.js';
