import * as crypto from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { matchesAny, safeEqual } from './constant-time.js';
import { type AuthType, type InboundAuth, verifyInbound } from './index.js';
import { NOW, request } from './test-support.js';

// Observe every constant-time comparison the module makes.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

describe('safeEqual', () => {
  it('tells equal from different values, whatever their lengths, without throwing', () => {
    expect(safeEqual('sha256=abc', 'sha256=abc')).toBe(true);
    expect(safeEqual(Buffer.from('abc'), 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
    expect(safeEqual('', 'a'.repeat(10_000))).toBe(false);
  });

  it('compares every pair in matchesAny, not stopping at the first match', () => {
    timingSafeEqual.mockClear();
    expect(matchesAny(['a', 'b'], ['b', 'c', 'd'])).toBe(true);
    expect(timingSafeEqual).toHaveBeenCalledTimes(6);
  });
});

describe('every authentication type compares secrets and signatures in constant time', () => {
  beforeEach(() => {
    timingSafeEqual.mockClear();
  });

  const WRONG: Partial<Record<AuthType, [InboundAuth, Record<string, string>]>> = {
    secret: [{ type: 'secret', secrets: ['right'] }, { 'x-webhook-secret': 'wrong' }],
    basic: [
      { type: 'basic', secrets: ['right'], config: { username: 'u' } },
      { authorization: `Basic ${Buffer.from('u:wrong').toString('base64')}` },
    ],
    hmac: [{ type: 'hmac', secrets: ['right'], config: { header: 'x-sig' } }, { 'x-sig': 'ab' }],
    'standard-webhooks': [
      { type: 'standard-webhooks', secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'] },
      {
        'webhook-id': 'msg_1',
        'webhook-timestamp': String(NOW.getTime() / 1000),
        'webhook-signature': 'v1,AAAA',
      },
    ],
    stripe: [
      { type: 'stripe', secrets: ['right'] },
      { 'stripe-signature': `t=${NOW.getTime() / 1000},v1=ab` },
    ],
    github: [{ type: 'github', secrets: ['right'] }, { 'x-hub-signature-256': 'sha256=ab' }],
    slack: [
      { type: 'slack', secrets: ['right'] },
      { 'x-slack-request-timestamp': String(NOW.getTime() / 1000), 'x-slack-signature': 'v0=ab' },
    ],
    shopify: [{ type: 'shopify', secrets: ['right'] }, { 'x-shopify-hmac-sha256': 'ab' }],
  };

  it.each(Object.entries(WRONG))('%s', async (_, [auth, headers]) => {
    const result = await verifyInbound(request(headers, '{}'), auth, NOW);
    expect(result.ok).toBe(false);
    expect(timingSafeEqual).toHaveBeenCalled();
    for (const [a, b] of timingSafeEqual.mock.calls) expect(a.byteLength).toBe(b.byteLength);
  });

  it('no other file of the module compares with timingSafeEqual, Buffer.equals or Buffer.compare', () => {
    const directory = fileURLToPath(new URL('.', import.meta.url));
    const sources = readdirSync(directory).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
    );
    const offenders = sources.filter(
      (file) =>
        file !== 'constant-time.ts' &&
        /timingSafeEqual|\.equals\(|Buffer\.compare/.test(readFileSync(`${directory}/${file}`, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
