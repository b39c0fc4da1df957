/**
 * Inbound endpoints as the request path needs them, by slug, compiled once: secrets opened, networks
 * parsed, schema and pipeline compiled, rate limiter made. Entries are dropped on `webhook.config_changed`
 * and after a short TTL (which also retires a rotated-out secret at the end of its overlap). Unknown slugs
 * are remembered briefly too, so a scan of random slugs does not become a query per request. The secrets
 * are opened, and the decryption audited, once per change of the endpoint (its updated_at) on each node,
 * as the gateway and the delivery worker do: not on every TTL reload.
 */
import { eq } from 'drizzle-orm';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { systemContext } from '../../platform/auth/system.js';
import { isEnvelope, type Sealer } from '../../platform/crypto.js';
import type { Database } from '../../platform/db/client.js';
import { webhookEndpoints } from '../../platform/db/schema.js';
import { type CidrList, parseCidrList } from '../../platform/net/cidr.js';
import { type CompiledPipeline, compilePipeline, compileSchema } from '../../transform/index.js';
import type { EndpointOptions, ResponseConfig } from '../endpoints.js';
import {
  activeSecrets,
  auditSecretsOpened,
  ENDPOINT_SECRET_COLUMN,
  type EndpointSecrets,
  openFor,
} from '../secrets.js';
import type { AuthType, InboundAuth } from '../signing/index.js';

export interface LiveEndpoint {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly slug: string;
  readonly isActive: boolean;
  readonly allowedMethods: ReadonlySet<string>;
  readonly allowedSources: CidrList | null;
  readonly auth: InboundAuth;
  readonly validate?: ReturnType<typeof compileSchema>;
  readonly pipeline?: CompiledPipeline;
  readonly response: ResponseConfig | null;
  readonly options: EndpointOptions;
  readonly verifyToken?: string;
  readonly limiter: RateLimiterMemory;
  readonly rateLimit: number;
}

const TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_NEGATIVE = 10_000;
const RECEIVER_CONTEXT = systemContext('system:webhook-receiver');

export function createEndpointCache(db: Database, sealer: Sealer) {
  const bySlug = new Map<string, { at: number; entry: Promise<LiveEndpoint | null> }>();
  const slugById = new Map<string, string>();
  const limiters = new Map<string, { points: number; limiter: RateLimiterMemory }>();
  const opened = new Map<string, { version: number; secrets: EndpointSecrets | undefined }>();

  async function secretsOf(row: typeof webhookEndpoints.$inferSelect): Promise<EndpointSecrets | undefined> {
    const version = row.updatedAt.getTime();
    const known = opened.get(row.id);
    if (known?.version === version) return known.secrets;
    if (isEnvelope(row.secretKey)) {
      await db.withTenant(row.tenantId, (tx) =>
        auditSecretsOpened(
          tx,
          RECEIVER_CONTEXT,
          'webhook_endpoint',
          { id: row.id },
          'verify inbound webhooks',
          row.tenantId,
        ),
      );
    }
    const secrets = openFor<EndpointSecrets>(sealer, ENDPOINT_SECRET_COLUMN, row.id, row.secretKey);
    opened.set(row.id, { version, secrets });
    return secrets;
  }

  function limiterFor(id: string, points: number): RateLimiterMemory {
    const existing = limiters.get(id);
    // Kept across reloads so a config change does not reset the hour's count.
    if (existing && existing.points === points) return existing.limiter;
    const limiter = new RateLimiterMemory({ points, duration: 3600, keyPrefix: `wh:${id}` });
    limiters.set(id, { points, limiter });
    return limiter;
  }

  async function load(slug: string): Promise<LiveEndpoint | null> {
    const [row] = await db.withPlatform((tx) =>
      tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.webhookUrl, slug)).limit(1),
    );
    if (!row) return null;
    const secrets = await secretsOf(row);
    slugById.set(row.id, slug);
    return {
      id: row.id,
      tenantId: row.tenantId,
      name: row.name,
      slug,
      isActive: row.isActive,
      allowedMethods: new Set(row.allowedMethods.map((method) => method.toUpperCase())),
      allowedSources: row.allowedSources ? parseCidrList(row.allowedSources as string[]) : null,
      auth: Object.freeze({
        type: row.authenticationType as AuthType,
        secrets: activeSecrets(secrets?.secrets ?? []),
        config: (row.authConfig as Record<string, unknown> | null) ?? undefined,
      }),
      validate:
        row.payloadValidationSchema === null || row.payloadValidationSchema === undefined
          ? undefined
          : compileSchema(row.payloadValidationSchema),
      pipeline:
        Array.isArray(row.transformationConfig) && row.transformationConfig.length > 0
          ? compilePipeline(row.transformationConfig)
          : undefined,
      response: (row.responseConfig as ResponseConfig | null) ?? null,
      options: (row.options as EndpointOptions | null) ?? {},
      verifyToken: secrets?.verifyToken,
      limiter: limiterFor(row.id, row.rateLimit),
      rateLimit: row.rateLimit,
    };
  }

  return {
    get(slug: string): Promise<LiveEndpoint | null> {
      const cached = bySlug.get(slug);
      const now = Date.now();
      if (cached) {
        const ttl = TTL_MS;
        if (now - cached.at < ttl) return cached.entry;
      }
      const entry = load(slug);
      if (bySlug.size > MAX_NEGATIVE * 2) bySlug.clear();
      bySlug.set(slug, { at: now, entry });
      entry.then(
        (found) => {
          // Unknown slugs are remembered for a shorter time.
          if (!found) {
            const stored = bySlug.get(slug);
            if (stored?.entry === entry) stored.at = now - (TTL_MS - NEGATIVE_TTL_MS);
          }
        },
        () => bySlug.delete(slug),
      );
      return entry;
    },
    invalidate(change: { id: string; slug?: string }): void {
      const slug = change.slug ?? slugById.get(change.id);
      if (slug) bySlug.delete(slug);
    },
    clear(): void {
      bySlug.clear();
    },
  };
}

export type EndpointCache = ReturnType<typeof createEndpointCache>;
