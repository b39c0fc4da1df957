import { createPublicKey } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { KryonixError } from '../../platform/errors.js';
import type { JwtConfig } from './config.js';
import { fail, readHeader } from './failure.js';
import type { Check, VerifyFailure } from './types.js';

// Sender and receiver clocks drift; a few seconds of it must not reject a fresh token (exp, nbf).
const CLOCK_TOLERANCE_SECONDS = 30;

// One key set per URL, shared by every endpoint using it, so its cache and refetch cooldown are shared too.
const remoteKeySets = new LRUCache<string, JWTVerifyGetKey>({ max: 1_000 });

// A key set that cannot be fetched is our outage, not the sender's fault: answer 503 so the sender retries.
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  'ERR_JWKS_TIMEOUT',
  'ERR_JWKS_INVALID',
  'ERR_JOSE_GENERIC',
]);

function remoteKeySet(url: string): JWTVerifyGetKey {
  let keySet = remoteKeySets.get(url);
  if (!keySet) {
    const remote = createRemoteJWKSet(new URL(url));
    keySet = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        if (error instanceof errors.JOSEError && !UNAVAILABLE_CODES.has(error.code)) throw error;
        throw new KryonixError('KRX_UNAVAILABLE', 'the JWKS of this endpoint could not be fetched', {
          cause: error,
        });
      }
    };
    remoteKeySets.set(url, keySet);
  }
  return keySet;
}

/** Every key the token may be signed with: one per secret during rotation, or the single public key source. */
function keysFor(config: JwtConfig, secrets: readonly string[]): JWTVerifyGetKey[] {
  if (config.jwksUrl) return [remoteKeySet(config.jwksUrl)];
  if (config.publicKey) {
    const key = createPublicKey(config.publicKey);
    return [() => key];
  }
  return secrets.map((secret) => {
    const key = new TextEncoder().encode(secret);
    return () => key;
  });
}

const REASONS: Readonly<Record<string, string>> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature mismatch',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token algorithm not allowed',
  ERR_JOSE_NOT_SUPPORTED: 'token algorithm not allowed',
  ERR_JWKS_NO_MATCHING_KEY: 'no key matches the token',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'no single key matches the token',
  ERR_JWT_INVALID: 'malformed token',
  ERR_JWS_INVALID: 'malformed token',
  ERR_JWK_INVALID: 'malformed token',
};

function rejection(error: errors.JOSEError): VerifyFailure {
  if (error instanceof errors.JWTClaimValidationFailed) {
    return fail(`claim ${error.claim} ${error.reason === 'missing' ? 'missing' : 'invalid'}`);
  }
  return fail(REASONS[error.code] ?? 'invalid token');
}

/**
 * A JWT in `Authorization: Bearer` (or the configured header), verified with the pinned algorithm only,
 * `exp` required, and `iss`/`aud` checked when configured.
 */
export function jwtCheck(config: JwtConfig, secrets: readonly string[]): Check {
  const keys = keysFor(config, secrets);
  const options = {
    algorithms: [config.algorithm],
    issuer: config.issuer,
    audience: config.audience as string | string[] | undefined,
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    // A webhook token without an expiry could be replayed forever.
    requiredClaims: ['exp'],
  };
  return async (request, now) => {
    const header = readHeader(request.headers, config.header);
    if (typeof header !== 'string') return header;
    const token = header.replace(/^Bearer +/i, '');
    let failure: VerifyFailure | undefined;
    for (const key of keys) {
      try {
        await jwtVerify(token, key, { ...options, currentDate: now });
        return undefined;
      } catch (error) {
        if (!(error instanceof errors.JOSEError)) throw error;
        const reason = rejection(error);
        // Under rotation the wrong secrets fail on the signature; the right one's verdict is the one to report.
        if (!failure || failure.reason === REASONS.ERR_JWS_SIGNATURE_VERIFICATION_FAILED) failure = reason;
      }
    }
    return failure ?? fail('signature mismatch');
  };
}
