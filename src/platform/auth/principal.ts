/** Who is calling: resolved once per request from an API key or a JWT. */
export type TenantRole = 'admin' | 'editor' | 'viewer';
export type Role = TenantRole | 'owner';

export const TENANT_ROLES: readonly TenantRole[] = ['admin', 'editor', 'viewer'];

export interface Principal {
  kind: 'api_key' | 'jwt';
  /** The API key id or the JWT subject: what audit entries and `created_by` record. */
  subject: string;
  /** null only for the platform owner, who belongs to no tenant. */
  tenantId: string | null;
  role: Role;
}

const RANK: Record<TenantRole, number> = { viewer: 1, editor: 2, admin: 3 };

/** Whether a tenant principal's role is at least `needed`; the owner holds no tenant role. */
export function hasTenantRole(principal: Principal, needed: TenantRole): boolean {
  return principal.role !== 'owner' && RANK[principal.role] >= RANK[needed];
}

export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.subject}`;
}
