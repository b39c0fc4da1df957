import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, maskUrl, parseSize } from './config.js';

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
  ])('refuses a wrong %s naming it', (variable, value) => {
    expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}: `));
  });

  it('reads sizes with units; a bare cache size is in megabytes', () => {
    expect(parseSize('512kb')).toBe(512 * 1024);
    expect(parseSize('1.5MB')).toBe(1.5 * 1024 * 1024);
    expect(loadConfig({ API_CACHE_MAX_SIZE: '100' }).cache.maxBytes).toBe(100 * 1024 * 1024);
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
