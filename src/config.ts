/**
 * One typed, validated, frozen configuration, read once at start from the environment (the seed's
 * variable names where it has them). A wrong value stops the process with one line naming the
 * variable. Every key is listed in CONFIG_KEYS with its default and why, which `kryonix config` and
 * the README print from.
 */
import path from 'node:path';
import { parseCidrList } from './platform/net/cidr.js';

export type Role = 'gateway' | 'webhooks' | 'worker' | 'scheduler';
export const ALL_ROLES: readonly Role[] = ['gateway', 'webhooks', 'worker', 'scheduler'];

export interface Config {
  readonly nodeEnv: string;
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly logLevel: string;
  readonly gatewayTimeoutMs: number;
  readonly maxPayloadBytes: number;
  readonly corsOrigins: readonly string[];
  readonly encryptionKey: string | undefined;
  readonly encryptionKeyPrevious: string | undefined;
  readonly jwt: {
    readonly secret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly rateLimit: { readonly windowMs: number; readonly maxRequests: number };
  readonly cache: {
    readonly ttlSeconds: number;
    readonly maxBytes: number;
    /** The seed's bare API_CACHE_MAX_SIZE: a count of cached responses (memory store). */
    readonly maxEntries?: number;
    /** REDIS_URL with API_CACHE_REDIS_DB's database selected: the response cache's own connection. */
    readonly redisUrl?: string;
  };
  readonly retry: { readonly attempts: number; readonly delayMs: number };
  /** Which pipeline step runs become data_transformations rows: failures, and this share of the rest. */
  readonly transformRecord: { readonly failures: boolean; readonly successRate: number };
  readonly webhook: {
    readonly timeoutMs: number;
    readonly maxRetries: number;
    readonly retryDelayMs: number;
    readonly queueConcurrency: number;
    readonly targetConcurrency: number;
    readonly targetRatePerSecond: number;
  };
  readonly healthCheck: {
    readonly enabled: boolean;
    readonly intervalMs: number;
    readonly timeoutMs: number;
  };
  readonly metricsRetentionDays: number;
  readonly metricsToken: string | undefined;
  readonly trustedProxies: readonly string[];
  readonly dangerousAllowedNetworks: readonly string[];
  readonly roles: readonly Role[];
  /** Seed variables that are set but have no effect here, with why: start-up warns of each. */
  readonly ignoredVariables: readonly { readonly name: string; readonly reason: string }[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

interface KeySpec {
  readonly name: string;
  readonly default: string;
  readonly secret?: boolean;
  readonly description: string;
}

/** Every variable the platform reads, with its default and why. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  {
    name: 'NODE_ENV',
    default: 'development',
    description: '`production` refuses to start without API_ENCRYPTION_KEY.',
  },
  {
    name: 'API_GATEWAY_PORT',
    default: '3012',
    description: "The one port every role listens on (the seed's).",
  },
  {
    name: 'KRYONIX_HOST',
    default: '0.0.0.0',
    description: 'Interface to bind; 0.0.0.0 so containers are reachable.',
  },
  {
    name: 'KRYONIX_DATA_DIR',
    default: './.kryonix',
    description: 'Embedded database, generated master key and lock file.',
  },
  {
    name: 'DATABASE_URL',
    default: '',
    description: 'PostgreSQL URL; unset means the embedded PGlite database in the data directory.',
  },
  {
    name: 'REDIS_URL',
    default: '',
    description: 'Redis URL for rate limits, cache and change notifications across nodes.',
  },
  {
    name: 'API_LOG_LEVEL',
    default: 'info',
    description: 'pino level: fatal, error, warn, info, debug, trace, silent.',
  },
  {
    name: 'API_GATEWAY_TIMEOUT',
    default: '30000',
    description: 'Default whole-call timeout in ms for a gateway call, retries included.',
  },
  {
    name: 'API_GATEWAY_MAX_PAYLOAD_SIZE',
    default: '10MB',
    description: 'Largest request body accepted (413 beyond).',
  },
  {
    name: 'API_CORS_ENABLED',
    default: 'true',
    description: '`false` turns CORS off whatever API_CORS_ORIGINS says.',
  },
  {
    name: 'API_CORS_ORIGINS',
    default: '',
    description:
      'Comma-separated allowed browser origins (`https://app.example.com`, scheme://host[:port]), or `*` for any; empty disables CORS.',
  },
  {
    name: 'API_ENCRYPTION_KEY',
    default: '',
    secret: true,
    description:
      '32-byte master key (base64 or hex). Unset outside production: generated into the data directory (0600).',
  },
  {
    name: 'API_ENCRYPTION_KEY_PREVIOUS',
    default: '',
    secret: true,
    description:
      'The former master key while `kryonix keys rotate-master` re-encrypts rows under the new one.',
  },
  {
    name: 'API_AUTH_JWT_SECRET',
    default: '',
    secret: true,
    description: 'HS256 secret for caller JWTs (at least 32 bytes). Unset: HS256 JWTs are refused.',
  },
  { name: 'API_AUTH_JWKS_URL', default: '', description: 'JWKS URL for RS256/ES256 caller JWTs.' },
  { name: 'API_AUTH_JWT_ISSUER', default: '', description: 'Required `iss` of caller JWTs, when set.' },
  { name: 'API_AUTH_JWT_AUDIENCE', default: '', description: 'Required `aud` of caller JWTs, when set.' },
  { name: 'RATE_LIMIT_WINDOW_MS', default: '60000', description: 'Default rate-limit window per API key.' },
  {
    name: 'RATE_LIMIT_MAX_REQUESTS',
    default: '1000',
    description: 'Default requests per window per API key (0 disables the default limit).',
  },
  {
    name: 'API_CACHE_TTL',
    default: '300',
    description: 'Default response cache TTL in seconds when a policy names none.',
  },
  {
    name: 'API_CACHE_MAX_SIZE',
    default: '64MB',
    description:
      "Memory bound of the in-memory response cache (`64MB`, `512kb`); a bare number is the seed's count of cached responses (within 64MB).",
  },
  {
    name: 'API_CACHE_REDIS_DB',
    default: '',
    description:
      'Redis database index (0-15) for the response cache, apart from rate limits; unset: the one in REDIS_URL.',
  },
  {
    name: 'INTEGRATION_RETRY_ATTEMPTS',
    default: '3',
    description: 'Default retries of an idempotent upstream call.',
  },
  {
    name: 'API_TRANSFORM_RECORD',
    default: 'failures',
    description:
      'Pipeline steps recorded in data_transformations: failures, all, off, or a share such as 0.01 (failures plus that share of successful runs).',
  },
  {
    name: 'INTEGRATION_RETRY_DELAY',
    default: '500',
    description: 'Base backoff in ms (exponential, full jitter).',
  },
  {
    name: 'WEBHOOK_TIMEOUT',
    default: '30000',
    description: 'Timeout in ms of one outbound webhook delivery attempt.',
  },
  {
    name: 'WEBHOOK_MAX_RETRIES',
    default: '5',
    description: 'Default delivery attempts before a delivery is marked failed.',
  },
  {
    name: 'WEBHOOK_RETRY_DELAY',
    default: '10000',
    description: 'Base delay in ms between delivery attempts.',
  },
  {
    name: 'INTEGRATION_QUEUE_CONCURRENCY',
    default: '64',
    description:
      'Outbound webhook deliveries in flight per node (worker role); one subscription gets at most 16 of them.',
  },
  {
    name: 'WEBHOOK_TARGET_CONCURRENCY',
    default: '16',
    description:
      'Outbound webhook deliveries in flight per target (scheme, host and port) per node, across all subscriptions; more are deferred, not failed.',
  },
  {
    name: 'WEBHOOK_TARGET_RATE',
    default: '0',
    description:
      'Outbound webhook deliveries started per second per target per node, evenly spaced (0: no rate cap); more are deferred, not failed.',
  },
  {
    name: 'HEALTH_CHECK_ENABLED',
    default: 'true',
    description: 'Run connection health checks on their intervals.',
  },
  {
    name: 'HEALTH_CHECK_INTERVAL',
    default: '60000',
    description: 'How often in ms due health checks are looked for.',
  },
  { name: 'HEALTH_CHECK_TIMEOUT', default: '10000', description: 'Timeout in ms of one health check.' },
  {
    name: 'API_METRICS_RETENTION_DAYS',
    default: '30',
    description: 'Days of execution and delivery records kept.',
  },
  {
    name: 'KRYONIX_METRICS_TOKEN',
    default: '',
    secret: true,
    description: 'Bearer token required by /metrics when set.',
  },
  { name: 'KRYONIX_TRUSTED_PROXIES', default: '', description: 'CIDRs whose X-Forwarded-For is believed.' },
  {
    name: 'KRYONIX_DANGEROUS_ALLOWED_NETWORKS',
    default: '',
    description: 'CIDRs outbound calls may reach despite the SSRF guard (private networks). Weakens safety.',
  },
  {
    name: 'KRYONIX_DANGEROUS_FILE_ROOTS',
    default: '',
    description:
      'Comma-separated absolute folders the file connector may use in local mode (off when empty). Weakens safety.',
  },
  {
    name: 'KRYONIX_ROLES',
    default: 'gateway,webhooks,worker,scheduler',
    description: 'Roles this node runs (also `--role`).',
  },
];

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string {
  const spec = CONFIG_KEYS.find((k) => k.name === name);
  const value = env[name];
  return value === undefined || value.trim() === '' ? (spec?.default ?? '') : value.trim();
}

function integer(env: Env, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(env, name);
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function transformRecord(env: Env): Config['transformRecord'] {
  const raw = read(env, 'API_TRANSFORM_RECORD').toLowerCase();
  if (raw === 'failures') return { failures: true, successRate: 0 };
  if (raw === 'all') return { failures: true, successRate: 1 };
  if (raw === 'off') return { failures: false, successRate: 0 };
  // The pattern admits only numbers from 0 to 1.
  if (!/^(0|1|0?\.\d+)$/.test(raw))
    throw new ConfigError(
      'API_TRANSFORM_RECORD',
      `expected failures, all, off or a share from 0 to 1, got "${raw}"`,
    );
  return { failures: true, successRate: Number(raw) };
}

function bool(env: Env, name: string): boolean {
  const raw = read(env, name).toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** `10MB`, `512kb`, `1gb`; a bare number is in `bareUnit`. */
export function parseSize(raw: string, bareUnit: keyof typeof SIZE_UNITS = 'b'): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!match) return undefined;
  return Math.floor(Number(match[1]) * SIZE_UNITS[(match[2] ?? bareUnit).toLowerCase()]);
}

function size(env: Env, name: string, bareUnit: keyof typeof SIZE_UNITS): number {
  const raw = read(env, name);
  const value = parseSize(raw, bareUnit);
  if (value === undefined || value <= 0)
    throw new ConfigError(name, `expected a size such as 10MB, got "${raw}"`);
  return value;
}

function list(env: Env, name: string): string[] {
  return read(env, name)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A comma-separated CIDR list, checked now so a typo stops the start instead of opening a hole later. */
function cidrs(env: Env, name: string): string[] {
  const entries = list(env, name);
  try {
    parseCidrList(entries);
  } catch (error) {
    throw new ConfigError(name, error instanceof Error ? error.message : String(error));
  }
  return entries;
}

function optionalUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${url.protocol}`);
  }
  return raw;
}

/** `*` alone, or browser origins: a wrong entry would otherwise silently never match. */
function corsOrigins(env: Env): string[] {
  if (!bool(env, 'API_CORS_ENABLED')) return [];
  const entries = list(env, 'API_CORS_ORIGINS');
  if (entries.includes('*')) {
    if (entries.length > 1)
      throw new ConfigError('API_CORS_ORIGINS', '`*` allows any origin: list no others with it');
    return entries;
  }
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {}
    // An origin is scheme://host[:port] exactly, as browsers send it: no path, query or trailing slash.
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry) {
      throw new ConfigError(
        'API_CORS_ORIGINS',
        `"${entry}" is not an origin such as https://app.example.com (scheme://host[:port], no path), nor *`,
      );
    }
  }
  return entries;
}

/** The seed's bare API_CACHE_MAX_SIZE (`1000`) counts responses; with a unit it is a memory bound. */
function cacheBounds(env: Env): { maxBytes: number; maxEntries: number | undefined } {
  const raw = read(env, 'API_CACHE_MAX_SIZE');
  if (/^\d+$/.test(raw)) {
    const entries = Number(raw);
    if (entries < 1) throw new ConfigError('API_CACHE_MAX_SIZE', 'must be at least 1 response');
    return { maxBytes: parseSize('64MB')!, maxEntries: entries };
  }
  return { maxBytes: size(env, 'API_CACHE_MAX_SIZE', 'b'), maxEntries: undefined };
}

/** REDIS_URL with its database path replaced by API_CACHE_REDIS_DB, when both are set. */
function cacheRedisUrl(env: Env, redisUrl: string | undefined): string | undefined {
  if (!read(env, 'API_CACHE_REDIS_DB')) return redisUrl;
  const db = integer(env, 'API_CACHE_REDIS_DB', 0, 15);
  if (!redisUrl) return undefined;
  const url = new URL(redisUrl);
  url.pathname = `/${db}`;
  return url.toString();
}

/**
 * Seed variables (seed .env) this platform does not act on, with why, so a copied .env does not
 * silently promise what does not happen. `when` limits the warning to values that would differ from
 * what the platform does anyway.
 */
const UNSUPPORTED_SEED_VARIABLES: ReadonlyArray<{
  name: string;
  reason: string;
  when?: (value: string) => boolean;
}> = [
  {
    name: 'RATE_LIMIT_SKIP_SUCCESSFUL_REQUESTS',
    reason: 'every request counts against its rate limit; a limit is consumed before the call is made',
    when: (value) => !['false', '0', 'no', 'off'].includes(value.toLowerCase()),
  },
  {
    name: 'API_GATEWAY_RATE_LIMIT',
    reason: 'the default limit per API key is RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS; set those',
  },
  {
    name: 'API_AUTH_TIMEOUT',
    reason: 'the platform issues no sessions or tokens: a caller JWT lives until its own exp claim',
  },
  {
    name: 'API_AUTH_REFRESH_THRESHOLD',
    reason: 'the platform issues no sessions or tokens to refresh: the identity provider does that',
  },
  { name: 'INTEGRATION_ENGINE_PORT', reason: 'every role listens on API_GATEWAY_PORT' },
  { name: 'WEBHOOK_PORT', reason: 'every role listens on API_GATEWAY_PORT' },
  { name: 'INTEGRATION_WORKERS', reason: 'use `kryonix start --workers N`' },
  {
    name: 'WEBHOOK_SECRET_KEY',
    reason: 'each webhook endpoint and subscription has its own generated secret',
  },
  { name: 'API_MONITORING_ENABLED', reason: 'monitoring is always on (choose roles with KRYONIX_ROLES)' },
  { name: 'API_ERROR_TRACKING', reason: 'errors are logged with their stack and counted in /metrics' },
  { name: 'API_HELMET_ENABLED', reason: 'the API sends JSON only; no HTML security headers are set' },
];

export function ignoredSeedVariables(env: Env): Array<{ name: string; reason: string }> {
  return UNSUPPORTED_SEED_VARIABLES.filter(({ name, when }) => {
    const value = env[name]?.trim();
    return value !== undefined && value !== '' && (when?.(value) ?? true);
  }).map(({ name, reason }) => ({ name, reason }));
}

function optional(env: Env, name: string): string | undefined {
  return read(env, name) || undefined;
}

function roles(env: Env, override: readonly string[] | undefined): Role[] {
  const names = override ?? list(env, 'KRYONIX_ROLES');
  for (const name of names) {
    if (!ALL_ROLES.includes(name as Role)) {
      throw new ConfigError('KRYONIX_ROLES', `unknown role "${name}" (known: ${ALL_ROLES.join(', ')})`);
    }
  }
  if (names.length === 0) throw new ConfigError('KRYONIX_ROLES', 'at least one role is needed');
  return names as Role[];
}

export interface ConfigOverrides {
  roles?: readonly string[];
  port?: number;
}

export function loadConfig(env: Env = process.env, overrides: ConfigOverrides = {}): Config {
  const nodeEnv = read(env, 'NODE_ENV');
  const logLevel = read(env, 'API_LOG_LEVEL');
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError('API_LOG_LEVEL', `unknown level "${logLevel}"`);
  }
  const jwtSecret = optional(env, 'API_AUTH_JWT_SECRET');
  if (jwtSecret && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('API_AUTH_JWT_SECRET', 'must be at least 32 bytes for HS256');
  }
  const redisUrl = optionalUrl(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const config: Config = {
    nodeEnv,
    production: nodeEnv === 'production',
    host: read(env, 'KRYONIX_HOST'),
    port: overrides.port ?? integer(env, 'API_GATEWAY_PORT', 0, 65535),
    dataDir: path.resolve(read(env, 'KRYONIX_DATA_DIR')),
    databaseUrl: optionalUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl,
    logLevel,
    gatewayTimeoutMs: integer(env, 'API_GATEWAY_TIMEOUT', 1, 3_600_000),
    maxPayloadBytes: size(env, 'API_GATEWAY_MAX_PAYLOAD_SIZE', 'b'),
    corsOrigins: corsOrigins(env),
    encryptionKey: optional(env, 'API_ENCRYPTION_KEY'),
    encryptionKeyPrevious: optional(env, 'API_ENCRYPTION_KEY_PREVIOUS'),
    jwt: {
      secret: jwtSecret,
      jwksUrl: optionalUrl(env, 'API_AUTH_JWKS_URL', ['https:', 'http:']),
      issuer: optional(env, 'API_AUTH_JWT_ISSUER'),
      audience: optional(env, 'API_AUTH_JWT_AUDIENCE'),
    },
    rateLimit: {
      windowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 1),
      maxRequests: integer(env, 'RATE_LIMIT_MAX_REQUESTS', 0),
    },
    cache: {
      ttlSeconds: integer(env, 'API_CACHE_TTL', 0),
      ...cacheBounds(env),
      redisUrl: cacheRedisUrl(env, redisUrl),
    },
    retry: {
      attempts: integer(env, 'INTEGRATION_RETRY_ATTEMPTS', 0, 20),
      delayMs: integer(env, 'INTEGRATION_RETRY_DELAY', 0),
    },
    transformRecord: transformRecord(env),
    webhook: {
      timeoutMs: integer(env, 'WEBHOOK_TIMEOUT', 1),
      maxRetries: integer(env, 'WEBHOOK_MAX_RETRIES', 0, 100),
      retryDelayMs: integer(env, 'WEBHOOK_RETRY_DELAY', 0),
      queueConcurrency: integer(env, 'INTEGRATION_QUEUE_CONCURRENCY', 1, 10_000),
      targetConcurrency: integer(env, 'WEBHOOK_TARGET_CONCURRENCY', 1, 10_000),
      targetRatePerSecond: integer(env, 'WEBHOOK_TARGET_RATE', 0, 100_000),
    },
    healthCheck: {
      enabled: bool(env, 'HEALTH_CHECK_ENABLED'),
      intervalMs: integer(env, 'HEALTH_CHECK_INTERVAL', 1000),
      timeoutMs: integer(env, 'HEALTH_CHECK_TIMEOUT', 1),
    },
    metricsRetentionDays: integer(env, 'API_METRICS_RETENTION_DAYS', 1),
    metricsToken: optional(env, 'KRYONIX_METRICS_TOKEN'),
    trustedProxies: cidrs(env, 'KRYONIX_TRUSTED_PROXIES'),
    dangerousAllowedNetworks: cidrs(env, 'KRYONIX_DANGEROUS_ALLOWED_NETWORKS'),
    roles: roles(env, overrides.roles),
    ignoredVariables: ignoredSeedVariables(env),
  };
  // Read by the file connector when it runs; checked here so a typo stops the start.
  for (const root of list(env, 'KRYONIX_DANGEROUS_FILE_ROOTS')) {
    if (!path.isAbsolute(root))
      throw new ConfigError('KRYONIX_DANGEROUS_FILE_ROOTS', `"${root}" is not an absolute path`);
  }
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The effective configuration by variable name, secrets masked: what `kryonix config` prints. */
export function describeConfig(
  env: Env = process.env,
): Array<{ name: string; value: string; description: string }> {
  return CONFIG_KEYS.map((key) => {
    const value = read(env, key.name);
    const shown =
      key.secret && value
        ? '********'
        : key.name === 'DATABASE_URL' || key.name === 'REDIS_URL'
          ? maskUrl(value)
          : value;
    return { name: key.name, value: shown, description: key.description };
  });
}

/** Hides the password of a connection URL. */
export function maskUrl(raw: string): string {
  if (!raw) return raw;
  try {
    const url = new URL(raw);
    if (url.password) url.password = '********';
    return url.toString();
  } catch {
    return '********';
  }
}
