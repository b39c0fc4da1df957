import { describe, expect, it } from 'vitest';
import {
  formatRateLimit,
  formatRateLimitPolicy,
  formatRetryAfter,
  type QuotaPolicy,
  rateLimitHeaders,
} from './ratelimit-headers.js';

const bytes = (base64: string) => new Uint8Array(Buffer.from(base64, 'base64'));

describe('formatRateLimitPolicy (draft-ietf-httpapi-ratelimit-headers-11 section 3)', () => {
  it('writes the draft examples', () => {
    expect(formatRateLimitPolicy([{ name: 'default', quota: 100, windowSeconds: 10 }])).toBe(
      '"default";q=100;w=10',
    );
    expect(
      formatRateLimitPolicy([
        { name: 'burst', quota: 100, windowSeconds: 60 },
        { name: 'daily', quota: 1000, windowSeconds: 86400 },
      ]),
    ).toBe('"burst";q=100;w=60, "daily";q=1000;w=86400');
    expect(
      formatRateLimitPolicy([
        {
          name: 'peruser',
          quota: 65535,
          quotaUnit: 'content-bytes',
          windowSeconds: 10,
          partitionKey: bytes('QXBwLTk5OQ=='),
        },
      ]),
    ).toBe('"peruser";q=65535;qu="content-bytes";w=10;pk=:QXBwLTk5OQ==:');
  });

  it('omits the default quota unit and an absent window', () => {
    expect(formatRateLimitPolicy([{ name: 'p', quota: 5, quotaUnit: 'requests' }])).toBe('"p";q=5');
    expect(formatRateLimitPolicy([{ name: 'c', quota: 2, quotaUnit: 'concurrent-requests' }])).toBe(
      '"c";q=2;qu="concurrent-requests"',
    );
  });

  it('escapes quotes and backslashes in names', () => {
    expect(formatRateLimitPolicy([{ name: 'a"b\\c', quota: 1 }])).toBe('"a\\"b\\\\c";q=1');
  });

  it.each<[string, QuotaPolicy]>([
    ['a non-ASCII name', { name: 'política', quota: 1 }],
    ['a control character', { name: 'a\nb', quota: 1 }],
    ['a negative quota', { name: 'p', quota: -1 }],
    ['a fractional quota', { name: 'p', quota: 1.5 }],
    ['a quota beyond 15 digits', { name: 'p', quota: 1e15 }],
    ['a zero window', { name: 'p', quota: 1, windowSeconds: 0 }],
    ['a fractional window', { name: 'p', quota: 1, windowSeconds: 0.5 }],
  ])('refuses %s', (_what, policy) => {
    expect(() => formatRateLimitPolicy([policy])).toThrow(RangeError);
  });
});

describe('formatRateLimit (section 4)', () => {
  it('writes the draft examples', () => {
    expect(formatRateLimit([{ policy: 'default', remaining: 50, resetMs: 30_000 }])).toBe(
      '"default";r=50;t=30',
    );
    expect(
      formatRateLimit([{ policy: 'default', remaining: 999, partitionKey: bytes('dHJpYWwxMjEzMjM=') }]),
    ).toBe('"default";r=999;pk=:dHJpYWwxMjEzMjM=:');
  });

  it('rounds the reset up to whole seconds so clients never return early', () => {
    expect(formatRateLimit([{ policy: 'p', remaining: 0, resetMs: 29_001 }])).toBe('"p";r=0;t=30');
    expect(formatRateLimit([{ policy: 'p', remaining: 0, resetMs: 1 }])).toBe('"p";r=0;t=1');
    expect(formatRateLimit([{ policy: 'p', remaining: 0, resetMs: 0 }])).toBe('"p";r=0;t=0');
    expect(formatRateLimit([{ policy: 'p', remaining: 0, resetMs: -50 }])).toBe('"p";r=0;t=0');
  });

  it('reports remaining quota as whole units, never below zero', () => {
    expect(formatRateLimit([{ policy: 'p', remaining: -3 }])).toBe('"p";r=0');
    expect(formatRateLimit([{ policy: 'p', remaining: 4.7 }])).toBe('"p";r=4');
  });

  it('lists several policies', () => {
    expect(
      formatRateLimit([
        { policy: 'minute', remaining: 9, resetMs: 12_000 },
        { policy: 'day', remaining: 100, resetMs: 36_000_000 },
      ]),
    ).toBe('"minute";r=9;t=12, "day";r=100;t=36000');
  });
});

describe('formatRetryAfter', () => {
  it('writes delay-seconds rounded up', () => {
    expect(formatRetryAfter(5_000)).toBe('5');
    expect(formatRetryAfter(4_001)).toBe('5');
    expect(formatRetryAfter(0)).toBe('0');
    expect(formatRetryAfter(-10)).toBe('0');
  });
});

describe('rateLimitHeaders', () => {
  const policies = [{ name: 'default', quota: 100, windowSeconds: 60 }];

  it('gives RateLimit-Policy and RateLimit on allowed responses', () => {
    expect(
      rateLimitHeaders({ policies, limits: [{ policy: 'default', remaining: 99, resetMs: 50_000 }] }),
    ).toEqual({
      'RateLimit-Policy': '"default";q=100;w=60',
      RateLimit: '"default";r=99;t=50',
    });
  });

  it('adds a Retry-After equal to the effective window on rejections', () => {
    const headers = rateLimitHeaders({
      policies,
      limits: [{ policy: 'default', remaining: 0, resetMs: 4_200 }],
      retryAfterMs: 4_200,
    });
    expect(headers).toEqual({
      'RateLimit-Policy': '"default";q=100;w=60',
      RateLimit: '"default";r=0;t=5',
      'Retry-After': '5',
    });
  });

  it('leaves out fields it has nothing for', () => {
    expect(rateLimitHeaders({ limits: [] })).toEqual({});
    expect(rateLimitHeaders({ policies: [], limits: [{ policy: 'p', remaining: 1 }] })).toEqual({
      RateLimit: '"p";r=1',
    });
  });
});
