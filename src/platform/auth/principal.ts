/** Who is calling: resolved once per request from an API key or a JWT. */
export type TenantRole = 'admin' | 'editor' | 'viewer';
export type Role = TenantRole | 'owner';

export const TENANT_ROLES: readonly TenantRole[] = ['admin', 'editor', 'viewer'];

export interface Principal {
  /** `system`: work no HTTP caller asked for (the command line, start-up, workers); see system.ts. */
  kind: 'api_key' | 'jwt' | 'system';
  /** The API key id, the JWT subject or the system actor: what audit entries and `created_by` record. */
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
  // A system subject is already a whole actor name (`cli:alice`, `system:bootstrap`).
  return principal.kind === 'system' ? principal.subject : `${principal.kind}:${principal.subject}`;
}
