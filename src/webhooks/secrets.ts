/**
 * What the sealed columns hold. Secrets rotate with an overlap: the previous one stays valid until
 * `expiresAt`, and is dropped when it has passed.
 */
import { audit, type RequestContext } from '../platform/audit.js';
import { type EncryptedEnvelope, isEnvelope, type Sealer, sealedBinding } from '../platform/crypto.js';
import type { Tx } from '../platform/db/client.js';

export interface RotatingSecret {
  readonly secret: string;
  /** ISO time after which this (previous) secret is no longer accepted or used; absent for the current one. */
  readonly expiresAt?: string;
}

/** webhook_endpoints.secret_key */
export interface EndpointSecrets {
  readonly secrets: readonly RotatingSecret[];
  /** For the GET challenge handshake (`hub.verify_token`). */
  readonly verifyToken?: string;
}

export type TargetAuth =
  | { readonly type: 'none' }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'header'; readonly headerName: string; readonly headerValue: string };

/** webhook_subscriptions.authentication */
export interface SubscriptionSecrets {
  readonly signing: readonly RotatingSecret[];
  readonly target: TargetAuth;
}

/**
 * Records that sealed webhook secrets were opened, and why: of one row, or of several (`ids` in the
 * details, a list page). `tenantId` for contexts that belong to no tenant (the background workers).
 */
export function auditSecretsOpened(
  tx: Tx,
  context: RequestContext,
  resourceType: 'webhook_endpoint' | 'webhook_subscription',
  opened: { id: string } | { ids: string[] },
  reason: string,
  tenantId?: string,
): Promise<void> {
  const target =
    'id' in opened
      ? { resourceId: opened.id, details: { reason } }
      : { details: { reason, ids: opened.ids } };
  return audit(tx, context, { action: `${resourceType}.secrets.decrypt`, resourceType, ...target }, tenantId);
}

export const ENDPOINT_SECRET_COLUMN = ['webhook_endpoints', 'secret_key'] as const;
export const SUBSCRIPTION_SECRET_COLUMN = ['webhook_subscriptions', 'authentication'] as const;

export function sealFor(
  sealer: Sealer,
  [table, column]: readonly [string, string],
  rowId: string,
  value: unknown,
): EncryptedEnvelope {
  return sealer.seal(value, sealedBinding(table, column, rowId));
}

export function openFor<T>(
  sealer: Sealer,
  [table, column]: readonly [string, string],
  rowId: string,
  stored: unknown,
): T | undefined {
  if (!isEnvelope(stored)) return undefined;
  return sealer.open<T>(stored, sealedBinding(table, column, rowId));
}

/** The secrets still valid at `now`, newest first. */
export function activeSecrets(secrets: readonly RotatingSecret[], now = Date.now()): string[] {
  return secrets
    .filter((entry) => entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now)
    .map((entry) => entry.secret);
}

/** Puts `next` first and keeps the current one valid for `overlapSeconds`; older ones are dropped. */
export function rotate(
  secrets: readonly RotatingSecret[],
  next: string,
  overlapSeconds: number,
  now = Date.now(),
): RotatingSecret[] {
  const current = secrets.find((entry) => entry.expiresAt === undefined);
  if (!current || overlapSeconds === 0) return [{ secret: next }];
  return [
    { secret: next },
    { secret: current.secret, expiresAt: new Date(now + overlapSeconds * 1000).toISOString() },
  ];
}

/** When the overlap of a rotation ends, if one is running. */
export function rotationEndsAt(secrets: readonly RotatingSecret[], now = Date.now()): string | null {
  const previous = secrets.find(
    (entry) => entry.expiresAt !== undefined && Date.parse(entry.expiresAt) > now,
  );
  return previous?.expiresAt ?? null;
}
