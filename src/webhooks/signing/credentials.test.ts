import { describe, expect, it } from 'vitest';
import { type InboundAuth, verifyInbound } from './index.js';
import { NOW, request } from './test-support.js';

const BODY = '{"hello":"world"}';

describe('none', () => {
  it('accepts anything, and still reports a configured delivery id', async () => {
    const auth: InboundAuth = { type: 'none', secrets: [], config: { deliveryIdHeader: 'X-Request-Id' } };
    await expect(verifyInbound(request({ 'x-request-id': 'r-1' }, BODY), auth, NOW)).resolves.toEqual({
      ok: true,
      deliveryId: 'r-1',
    });
  });
});

describe('secret (shared-secret header)', () => {
  const auth: InboundAuth = { type: 'secret', secrets: ['s3cr3t-current', 's3cr3t-previous'] };

  it('accepts either secret of a rotation in x-webhook-secret', async () => {
    for (const secret of auth.secrets) {
      await expect(verifyInbound(request({ 'x-webhook-secret': secret }, BODY), auth, NOW)).resolves.toEqual({
        ok: true,
      });
    }
  });

  it('rejects a wrong secret, a prefix of the right one, and a missing header', async () => {
    await expect(verifyInbound(request({ 'x-webhook-secret': 'nope' }, BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'secret mismatch',
    });
    await expect(verifyInbound(request({ 'x-webhook-secret': 's3cr3t' }, BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'secret mismatch',
    });
    await expect(verifyInbound(request({}, BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'missing header x-webhook-secret',
    });
  });

  it('reads a configured header name, case-insensitively', async () => {
    const custom: InboundAuth = { type: 'secret', secrets: ['k'], config: { header: 'X-Api-Key' } };
    await expect(verifyInbound(request({ 'x-api-key': 'k' }, BODY), custom, NOW)).resolves.toEqual({
      ok: true,
    });
  });
});

describe('basic', () => {
  const auth: InboundAuth = {
    type: 'basic',
    secrets: ['pa:ss-new', 'pass-old'],
    config: { username: 'stripe' },
  };
  const basic = (credentials: string) => ({
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
  });

  it('accepts the username with either password (a password may contain ":")', async () => {
    await expect(verifyInbound(request(basic('stripe:pa:ss-new'), BODY), auth, NOW)).resolves.toEqual({
      ok: true,
    });
    await expect(verifyInbound(request(basic('stripe:pass-old'), BODY), auth, NOW)).resolves.toEqual({
      ok: true,
    });
  });

  it('rejects a wrong username or password alike', async () => {
    for (const credentials of ['github:pass-old', 'stripe:pass', 'stripe:']) {
      await expect(verifyInbound(request(basic(credentials), BODY), auth, NOW)).resolves.toEqual({
        ok: false,
        reason: 'credentials mismatch',
      });
    }
  });

  it('rejects a missing or malformed Authorization header', async () => {
    await expect(verifyInbound(request({}, BODY), auth, NOW)).resolves.toEqual({
      ok: false,
      reason: 'missing header authorization',
    });
    for (const authorization of [
      'Bearer abc',
      'Basic !!!',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
    ]) {
      await expect(verifyInbound(request({ authorization }, BODY), auth, NOW)).resolves.toEqual({
        ok: false,
        reason: 'malformed header authorization',
      });
    }
  });
});
