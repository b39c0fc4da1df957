/**
 * Caller JWTs: HS256 with API_AUTH_JWT_SECRET, or RS256/ES256 from API_AUTH_JWKS_URL. The algorithm
 * is pinned per key source (an HS256 token is never checked against a JWKS public key and `none` is
 * never accepted); exp/nbf are checked, iss/aud when configured. Claims: `sub`, `tenant_id`, `role`.
 * The claimed tenant must exist and be active, as an API key's must: a suspended tenant's tokens stop
 * working like its keys do, and a token naming no tenant is a 401 rather than a failed write later.
 */
import { createRemoteJWKSet, type JWTPayload, errors as joseErrors, jwtVerify } from 'jose';
import type { Config } from '../../config.js';
import { isUuid } from '../db/client.js';
import { type Principal, TENANT_ROLES, type TenantRole } from './principal.js';
import type { TenantStatusCache } from './tenant-status.js';

export type JwtVerifier = (token: string) => Promise<Principal | { error: string }>;

function principalFromClaims(payload: JWTPayload): Principal | { error: string } {
  const tenantId = payload.tenant_id;
  const role = payload.role;
  if (typeof payload.sub !== 'string' || payload.sub === '')
    return { error: 'the token has no subject (sub)' };
  if (typeof tenantId !== 'string' || !isUuid(tenantId))
    return { error: 'the token has no valid tenant_id claim' };
  if (typeof role !== 'string' || !TENANT_ROLES.includes(role as TenantRole)) {
    return { error: `the token's role claim must be one of ${TENANT_ROLES.join(', ')}` };
  }
  return { kind: 'jwt', subject: payload.sub, tenantId, role: role as TenantRole };
}

export function createJwtVerifier(
  jwt: Config['jwt'],
  tenants: Pick<TenantStatusCache, 'isActive'>,
): JwtVerifier {
  const secret = jwt.secret ? new TextEncoder().encode(jwt.secret) : undefined;
  const jwks = jwt.jwksUrl ? createRemoteJWKSet(new URL(jwt.jwksUrl)) : undefined;
  const claims = { issuer: jwt.issuer, audience: jwt.audience, requiredClaims: ['exp'] };

  async function verify(token: string): Promise<Principal | { error: string }> {
    try {
      const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
        alg?: string;
      };
      if (header.alg === 'HS256' && secret) {
        return principalFromClaims(
          (await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })).payload,
        );
      }
      if ((header.alg === 'RS256' || header.alg === 'ES256') && jwks) {
        return principalFromClaims(
          (await jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'ES256'] })).payload,
        );
      }
      return { error: `tokens signed with ${header.alg ?? 'no algorithm'} are not accepted` };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) return { error: 'the token has expired' };
      if (error instanceof joseErrors.JWTClaimValidationFailed)
        return { error: `the token's ${error.claim} claim is not valid` };
      if (error instanceof joseErrors.JOSEError)
        return { error: 'the token signature or format is not valid' };
      return { error: 'the token is malformed' };
    }
  }

  return async (token) => {
    const verified = await verify(token);
    if ('error' in verified || !verified.tenantId) return verified;
    // Checked only after the signature: an unsigned claim never costs a database read.
    if (!(await tenants.isActive(verified.tenantId)))
      return { error: "the token's tenant does not exist or is suspended" };
    return verified;
  };
}
