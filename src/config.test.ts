import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeConfig,
  ignoredSeedVariables,
  loadConfig,
  maskUrl,
  parseSize,
} from './config.js';

describe('loadConfig', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3012);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.maxPayloadBytes).toBe(10 * 1024 * 1024);
    expect(config.roles).toEqual(['gateway', 'webhooks', 'worker', 'scheduler']);
    expect(Object.isFrozen(config.rateLimit)).toBe(true);
  });

  it.each([
    ['API_GATEWAY_PORT', '70000'],
    ['API_GATEWAY_TIMEOUT', '10s'],
    ['API_GATEWAY_MAX_PAYLOAD_SIZE', 'lots'],
    ['API_LOG_LEVEL', 'loud'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['HEALTH_CHECK_ENABLED', 'maybe'],
    ['KRYONIX_ROLES', 'gateway,cook'],
    ['KRYONIX_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['KRYONIX_DANGEROUS_ALLOWED_NETWORKS', 'example.com'],
    ['API_AUTH_JWT_SECRET', 'short'],
    ['KRYONIX_DANGEROUS_FILE_ROOTS', 'relative/dir'],
    ['API_TRANSFORM_RECORD', 'sometimes'],
    ['API_TRANSFORM_RECORD', '1.5'],
    ['API_CORS_ORIGINS', 'app.example.com'],
    ['API_CORS_ORIGINS', 'https://app.example.com/'],
    ['API_CORS_ORIGINS', 'https://app.example.com/path'],
    ['API_CORS_ORIGINS', 'ftp://files.example.com'],
    ['API_CORS_ORIGINS', '*,https://app.example.com'],
    ['API_CORS_ENABLED', 'perhaps'],
    ['API_CACHE_REDIS_DB', '16'],
    ['API_CACHE_REDIS_DB', 'three'],
    ['API_CACHE_MAX_SIZE', '0'],
  ])('refuses a wrong %s naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });

  it("reads sizes with units; a bare cache size is the seed's count of responses, not megabytes", () => {
    expect(parseSize('512kb')).toBe(512 * 1024);
    expect(parseSize('1.5MB')).toBe(1.5 * 1024 * 1024);
    expect(loadConfig({ API_CACHE_MAX_SIZE: '100mb' }).cache).toMatchObject({
      maxBytes: 100 * 1024 * 1024,
      maxEntries: undefined,
    });
    // The seed's API_CACHE_MAX_SIZE=1000 was a 1000 MB cache.
    expect(loadConfig({ API_CACHE_MAX_SIZE: '1000' }).cache).toMatchObject({
      maxBytes: 64 * 1024 * 1024,
      maxEntries: 1000,
    });
  });

  it('checks CORS origins, and API_CORS_ENABLED=false turns CORS off', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ API_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(
      loadConfig({ API_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins,
    ).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(loadConfig({ API_CORS_ENABLED: 'false', API_CORS_ORIGINS: '*' }).corsOrigins).toEqual([]);
    expect(loadConfig({ API_CORS_ENABLED: 'true', API_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(() => loadConfig({ API_CORS_ORIGINS: 'https://app.example.com/' })).toThrow(
      /^API_CORS_ORIGINS: "https:\/\/app.example.com\/" is not an origin/,
    );
  });

  it('gives the response cache its own Redis database with API_CACHE_REDIS_DB', () => {
    expect(loadConfig({ REDIS_URL: 'redis://:pw@cache:6379/1' }).cache.redisUrl).toBe(
      'redis://:pw@cache:6379/1',
    );
    const config = loadConfig({ REDIS_URL: 'redis://:pw@cache:6379/1', API_CACHE_REDIS_DB: '3' });
    expect(config.cache.redisUrl).toBe('redis://:pw@cache:6379/3');
    expect(config.redisUrl).toBe('redis://:pw@cache:6379/1'); // rate limits and events stay where they were
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379', API_CACHE_REDIS_DB: '0' }).cache.redisUrl).toBe(
      'redis://cache:6379/0',
    );
    expect(loadConfig({ API_CACHE_REDIS_DB: '3' }).cache.redisUrl).toBeUndefined(); // no Redis: memory
  });

  it("names the seed's variables that are set but not supported, with why", () => {
    const seed = {
      RATE_LIMIT_SKIP_SUCCESSFUL_REQUESTS: 'false',
      API_GATEWAY_RATE_LIMIT: '1000',
      API_AUTH_TIMEOUT: '3600',
      API_AUTH_REFRESH_THRESHOLD: '300',
      API_CORS_ENABLED: 'true',
      API_CACHE_REDIS_DB: '3',
      API_HELMET_ENABLED: 'true',
    };
    const ignored = loadConfig(seed).ignoredVariables;
    // SKIP_SUCCESSFUL_REQUESTS=false is what happens anyway; CORS_ENABLED and CACHE_REDIS_DB are supported.
    expect(ignored.map(({ name }) => name)).toEqual([
      'API_GATEWAY_RATE_LIMIT',
      'API_AUTH_TIMEOUT',
      'API_AUTH_REFRESH_THRESHOLD',
      'API_HELMET_ENABLED',
    ]);
    for (const { reason } of ignored) expect(reason.length).toBeGreaterThan(10);
    expect(ignoredSeedVariables({ RATE_LIMIT_SKIP_SUCCESSFUL_REQUESTS: 'true' })).toEqual([
      { name: 'RATE_LIMIT_SKIP_SUCCESSFUL_REQUESTS', reason: expect.stringMatching(/every request counts/) },
    ]);
    expect(loadConfig({}).ignoredVariables).toEqual([]);
  });

  it('reads which pipeline step runs are recorded', () => {
    expect(loadConfig({}).transformRecord).toEqual({ failures: true, successRate: 0 });
    expect(loadConfig({ API_TRANSFORM_RECORD: 'all' }).transformRecord).toEqual({
      failures: true,
      successRate: 1,
    });
    expect(loadConfig({ API_TRANSFORM_RECORD: 'off' }).transformRecord).toEqual({
      failures: false,
      successRate: 0,
    });
    expect(loadConfig({ API_TRANSFORM_RECORD: '0.05' }).transformRecord).toEqual({
      failures: true,
      successRate: 0.05,
    });
  });

  it('takes roles and port from flags over the environment', () => {
    const config = loadConfig({ KRYONIX_ROLES: 'gateway' }, { roles: ['worker'], port: 4000 });
    expect(config.roles).toEqual(['worker']);
    expect(config.port).toBe(4000);
  });
});

describe('describeConfig', () => {
  it('masks secrets and URL passwords', () => {
    const shown = Object.fromEntries(
      describeConfig({ API_AUTH_JWT_SECRET: 'x'.repeat(40), REDIS_URL: 'redis://:pw@host:6379' }).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(shown.API_AUTH_JWT_SECRET).toBe('********');
    expect(shown.REDIS_URL).toBe('redis://:********@host:6379');
    expect(maskUrl('::bad')).toBe('********');
  });
});
