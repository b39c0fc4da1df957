import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  type InboundAuth,
  signForEndpoint,
  signStandardWebhooks,
  verifyInbound,
} from './index.js';
import { request } from './test-support.js';

const body = fc.uint8Array({ maxLength: 4096 }).map((bytes) => Buffer.from(bytes));
const timestamp = fc
  .integer({ min: 1_000_000_000, max: 4_000_000_000 })
  .map((seconds) => new Date(seconds * 1000));
const whsec = fc
  .uint8Array({ minLength: 24, maxLength: 64 })
  .map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);
const messageId = fc.stringMatching(/^msg_[A-Za-z0-9_-]{1,40}$/);

describe('sign → verify round trip', () => {
  it('Standard Webhooks: any body, id, time and secrets verify, and a flipped byte does not', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        messageId,
        timestamp,
        fc.array(whsec, { minLength: 1, maxLength: 3 }),
        async (raw, id, at, secrets) => {
          const headers = signStandardWebhooks({ id, timestamp: at, body: raw, secrets });
          for (const secret of secrets) {
            const auth: InboundAuth = { type: 'standard-webhooks', secrets: [secret] };
            expect(await verifyInbound(request(headers, raw), auth, at)).toEqual({
              ok: true,
              deliveryId: id,
            });
          }
          const tampered = Buffer.concat([raw, Buffer.from([0])]);
          const auth: InboundAuth = { type: 'standard-webhooks', secrets };
          expect(await verifyInbound(request(headers, tampered), auth, at)).toEqual({
            ok: false,
            reason: 'signature mismatch',
          });
        },
      ),
    );
  });

  it('generic HMAC: any algorithm, encoding, prefix, template, body and secret verify, and another secret does not', async () => {
    const config = fc.record({
      header: fc.constantFrom('x-signature', 'X-Hub-Signature', 'signature'),
      algorithm: fc.constantFrom('sha1', 'sha256', 'sha512'),
      encoding: fc.constantFrom('hex', 'base64'),
      prefix: fc.constantFrom('', 'sha256=', 'v1='),
      signed: fc.constantFrom(
        '{body}',
        '{timestamp}.{body}',
        '{method} {url}\n{timestamp}:{body}',
        '{id}.{timestamp}.{body}',
      ),
    });
    const secret = fc.string({ minLength: 1, maxLength: 64 });
    await fc.assert(
      fc.asyncProperty(config, body, timestamp, secret, async (settings, raw, at, key) => {
        const config = {
          ...settings,
          ...(settings.signed.includes('{timestamp}') ? { timestampHeader: 'x-timestamp' } : {}),
          ...(settings.signed.includes('{id}') ? { idHeader: 'x-id' } : {}),
        };
        const auth = { type: 'hmac' as const, secrets: [key], config };
        const headers = signForEndpoint(auth, {
          body: raw,
          timestamp: at,
          method: 'PUT',
          url: '/webhooks/x?y=1',
        });
        const signed = request(headers, raw, 'PUT', '/webhooks/x?y=1');
        expect(await verifyInbound(signed, auth, at)).toEqual({ ok: true });
        const other = { ...auth, secrets: [`${key}!`] };
        expect(await verifyInbound(signed, other, at)).toEqual({ ok: false, reason: 'signature mismatch' });
      }),
    );
  });

  it('generated secrets round-trip', async () => {
    const secret = generateWebhookSecret();
    const at = new Date();
    const headers = signStandardWebhooks({ id: 'msg_1', timestamp: at, body: '{}', secrets: [secret] });
    const auth: InboundAuth = { type: 'standard-webhooks', secrets: [secret] };
    expect(await verifyInbound(request(headers, '{}'), auth, at)).toEqual({ ok: true, deliveryId: 'msg_1' });
  });
});
