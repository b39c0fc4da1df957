import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  type InboundAuth,
  signForEndpoint,
  signStandardWebhooks,
  verifyInbound,
} from './index.js';
import { NOW, NOW_SECONDS, request } from './test-support.js';

const BODY = '{"type":"api.call.success","data":{"id":"c0ffee"}}';

describe('signStandardWebhooks', () => {
  const current = generateWebhookSecret();
  const previous = generateWebhookSecret();
  const headers = signStandardWebhooks({
    id: 'msg_abc',
    timestamp: NOW,
    body: BODY,
    secrets: [current, previous],
  });

  it('sends id, timestamp in unix seconds and one v1 signature per active secret', () => {
    expect(headers['webhook-id']).toBe('msg_abc');
    expect(headers['webhook-timestamp']).toBe(String(NOW_SECONDS));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('verifies for a receiver holding only the new secret, or only the old one', async () => {
    for (const secret of [current, previous]) {
      const result = await verifyInbound(
        request(headers, BODY),
        { type: 'standard-webhooks', secrets: [secret] },
        NOW,
      );
      expect(result).toEqual({ ok: true, deliveryId: 'msg_abc' });
    }
  });

  it('signs the same bytes whether given a string or a Buffer', () => {
    const fromBuffer = signStandardWebhooks({
      id: 'msg_abc',
      timestamp: NOW,
      body: Buffer.from(BODY),
      secrets: [current, previous],
    });
    expect(fromBuffer).toEqual(headers);
  });

  it('refuses an id with "." and signing without a whsec_ secret', () => {
    expect(() =>
      signStandardWebhooks({ id: 'msg.1', timestamp: NOW, body: BODY, secrets: [current] }),
    ).toThrow(/webhook id/);
    expect(() => signStandardWebhooks({ id: 'msg_1', timestamp: NOW, body: BODY, secrets: [] })).toThrow(
      /whsec_/,
    );
    expect(() =>
      signStandardWebhooks({ id: 'msg_1', timestamp: NOW, body: BODY, secrets: ['plain'] }),
    ).toThrow(/whsec_/);
  });
});

describe('generateWebhookSecret', () => {
  it('makes whsec_ and 32 random bytes in base64, different each time', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateWebhookSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
      expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    }
  });
});

describe('signForEndpoint', () => {
  it('produces what GitHub would send', () => {
    const auth: InboundAuth & { type: 'github' } = {
      type: 'github',
      secrets: ["It's a Secret to Everybody"],
    };
    expect(signForEndpoint(auth, { body: 'Hello, World!' })).toEqual({
      'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    });
  });

  it('produces a Stripe header with one v1 per secret and the timestamp', () => {
    const auth: InboundAuth & { type: 'stripe' } = { type: 'stripe', secrets: ['whsec_a', 'whsec_b'] };
    const v1 = (secret: string) =>
      createHmac('sha256', secret).update(`${NOW_SECONDS}.${BODY}`).digest('hex');
    expect(signForEndpoint(auth, { body: BODY, timestamp: NOW })).toEqual({
      'stripe-signature': `t=${NOW_SECONDS},v1=${v1('whsec_a')},v1=${v1('whsec_b')}`,
    });
  });

  it('signs a single-signature scheme with the newest secret', async () => {
    const auth: InboundAuth & { type: 'slack' } = { type: 'slack', secrets: ['new', 'old'] };
    const headers = signForEndpoint(auth, { body: BODY, timestamp: NOW });
    await expect(
      verifyInbound(request(headers, BODY), { type: 'slack', secrets: ['new'] }, NOW),
    ).resolves.toEqual({ ok: true });
    await expect(
      verifyInbound(request(headers, BODY), { type: 'slack', secrets: ['old'] }, NOW),
    ).resolves.toMatchObject({
      ok: false,
    });
  });
});
