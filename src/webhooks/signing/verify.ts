import { basicCheck } from './basic.js';
import { type AuthConfigs, type ValidAuth, validateAuth } from './config.js';
import { deliveryIdOf } from './delivery-id.js';
import { CompiledScheme } from './hmac-scheme.js';
import { jwtCheck } from './jwt.js';
import { HMAC_SCHEMES } from './presets.js';
import { sharedSecretCheck } from './shared-secret.js';
import type { AuthType, Check, HmacAuthType, InboundAuth, InboundRequest, VerifyResult } from './types.js';

function hmacCheck<T extends HmacAuthType>(type: T) {
  return (config: AuthConfigs[T], secrets: readonly string[]): Check =>
    new CompiledScheme(HMAC_SCHEMES[type](config)).check(secrets);
}

/** How each authentication type is checked: one entry per type, no branches on the type elsewhere. */
const CHECKS: { readonly [T in AuthType]: (config: AuthConfigs[T], secrets: readonly string[]) => Check } = {
  none: () => () => undefined,
  secret: sharedSecretCheck,
  basic: basicCheck,
  jwt: jwtCheck,
  hmac: hmacCheck('hmac'),
  'standard-webhooks': hmacCheck('standard-webhooks'),
  stripe: hmacCheck('stripe'),
  github: hmacCheck('github'),
  slack: hmacCheck('slack'),
  shopify: hmacCheck('shopify'),
};

interface CompiledAuth {
  readonly valid: ValidAuth;
  readonly check: Check;
}

// Endpoint settings come from an in-memory cache and are not mutated, so each is validated and compiled once.
const compiled = new WeakMap<InboundAuth, CompiledAuth>();

function compile(auth: InboundAuth): CompiledAuth {
  let entry = compiled.get(auth);
  if (!entry) {
    const valid = validateAuth(auth);
    const build = CHECKS[valid.type] as (config: AuthConfigs[AuthType], secrets: readonly string[]) => Check;
    entry = { valid, check: build(valid.config, valid.secrets) };
    compiled.set(auth, entry);
  }
  return entry;
}

/**
 * Authenticates an inbound webhook over its raw bytes. Rejections come back as `{ ok: false, reason }`;
 * invalid settings throw KRX_VALIDATION_FAILED and an unreachable JWKS throws KRX_UNAVAILABLE.
 * `deliveryId` is filled from headers only: for Stripe and Slack call `deliveryIdOf` with the parsed body.
 */
export async function verifyInbound(
  request: InboundRequest,
  auth: InboundAuth,
  now: Date = new Date(),
): Promise<VerifyResult> {
  const { valid, check } = compile(auth);
  const failure = await check(request, now);
  if (failure) return failure;
  const deliveryId = deliveryIdOf(valid.type, request.headers, undefined, valid.config);
  return deliveryId === undefined ? { ok: true } : { ok: true, deliveryId };
}
