/**
 * Caller authentication for every route: `Authorization: Bearer <key or JWT>` or `X-API-Key: <key>`.
 * A route states who may call it with `config.access`; without one, reads need a viewer and writes an
 * editor. `public` routes (health, docs, inbound webhooks) skip authentication entirely.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RequestContext } from '../audit.js';
import type { ApiKeyAuthenticator } from '../auth/api-keys.js';
import type { JwtVerifier } from '../auth/jwt.js';
import { hasTenantRole, type Principal, type TenantRole } from '../auth/principal.js';
import { KryonixError } from '../errors.js';

export type Access = 'public' | 'owner' | TenantRole;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal;
    /** Who and from where, for audit entries. */
    context: RequestContext;
  }
}

function credentialOf(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  if (header) {
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
    throw new KryonixError(
      'KRX_UNAUTHENTICATED',
      'the Authorization header must be "Bearer <API key or token>"',
      {
        headers: { 'www-authenticate': 'Bearer' },
      },
    );
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey ? apiKey.trim() : undefined;
}

function unauthenticated(detail: string): KryonixError {
  return new KryonixError('KRX_UNAUTHENTICATED', detail, { headers: { 'www-authenticate': 'Bearer' } });
}

/** The access a route without `config.access` needs: reads a viewer, writes an editor. */
export function defaultAccess(method: string): TenantRole {
  return method === 'GET' || method === 'HEAD' ? 'viewer' : 'editor';
}

/** The principal behind a request's credential headers, if it holds `access`; throws 401/403 otherwise. */
export type CredentialCheck = (
  headers: IncomingHttpHeaders,
  access: Exclude<Access, 'public'>,
) => Promise<Principal>;

export function createCredentialCheck(apiKeys: ApiKeyAuthenticator, verifyJwt: JwtVerifier): CredentialCheck {
  return async (headers, access) => {
    const credential = credentialOf(headers);
    if (!credential)
      throw unauthenticated('send an API key (Authorization: Bearer krx_... or X-API-Key) or a JWT');
    let principal: Principal | null;
    if (credential.startsWith('krx_')) {
      principal = await apiKeys.authenticate(credential);
      if (!principal) throw unauthenticated('the API key is unknown, revoked or expired');
    } else {
      const verified = await verifyJwt(credential);
      if ('error' in verified) throw unauthenticated(verified.error);
      principal = verified;
    }

    const allowed = access === 'owner' ? principal.role === 'owner' : hasTenantRole(principal, access);
    if (!allowed) {
      throw new KryonixError(
        'KRX_FORBIDDEN',
        access === 'owner'
          ? 'only a platform-owner key may do this'
          : `this needs the ${access} role or higher`,
      );
    }
    return principal;
  };
}

export function installAuthentication(app: FastifyInstance, checkCredential: CredentialCheck): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('context', null as unknown as RequestContext);

  app.addHook('onRequest', async (request) => {
    const routeAccess = request.routeOptions.config?.access;
    if (routeAccess === 'public' || request.routeOptions.url === undefined) return;
    const principal = await checkCredential(request.headers, routeAccess ?? defaultAccess(request.method));
    request.principal = principal;
    request.context = { principal, sourceIp: request.ip, requestId: request.id };
  });
}

/** The principal's tenant; owner keys have none and are refused here (403). */
export function tenantOfPrincipal(principal: Principal): string {
  if (!principal.tenantId) throw new KryonixError('KRX_FORBIDDEN', 'this route needs a tenant credential');
  return principal.tenantId;
}

/** The caller's tenant; owner keys have none and are refused by tenant routes before this runs. */
export function tenantOf(request: FastifyRequest): string {
  return tenantOfPrincipal(request.principal);
}
