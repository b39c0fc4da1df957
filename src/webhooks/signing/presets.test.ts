import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HmacAuthType, InboundAuth } from './index.js';
import { verifyInbound } from './index.js';
import { NOW, NOW_SECONDS, request } from './test-support.js';

// Senders written from each provider's documentation with node:crypto alone, independent of our own
// signer, so these tests check the schemes rather than echo the implementation.
function mac(
  algorithm: string,
  key: string | Buffer,
  parts: (string | Buffer)[],
  encoding: 'hex' | 'base64',
) {
  const hmac = createHmac(algorithm, key);
  for (const part of parts) hmac.update(part);
  return hmac.digest(encoding);
}

interface PresetFixture {
  readonly type: HmacAuthType;
  readonly config?: Record<string, unknown>;
  readonly secret: string;
  readonly otherSecret: string;
  readonly signatureHeader: string;
  /** Header carrying the timestamp, for schemes that sign one. */
  readonly timestampHeader?: string;
  sign(secret: string, body: Buffer, timestamp: number): Record<string, string>;
}

const FIXTURES: readonly PresetFixture[] = [
  {
    type: 'standard-webhooks',
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    otherSecret: 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD',
    signatureHeader: 'webhook-signature',
    timestampHeader: 'webhook-timestamp',
    sign: (secret, body, timestamp) => {
      const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
      const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
      return {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': `v1,${mac('sha256', key, [`${id}.${timestamp}.`, body], 'base64')}`,
      };
    },
  },
  {
    type: 'stripe',
    secret: 'whsec_stripe_current_0123456789',
    otherSecret: 'whsec_stripe_previous_987654321',
    signatureHeader: 'stripe-signature',
    timestampHeader: 'stripe-signature',
    // The shape of stripe.webhooks.generateTestHeaderString, with a test-mode v0 Stripe also sends.
    sign: (secret, body, timestamp) => ({
      'stripe-signature': `t=${timestamp},v1=${mac('sha256', secret, [`${timestamp}.`, body], 'hex')},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39`,
    }),
  },
  {
    type: 'github',
    secret: "It's a Secret to Everybody",
    otherSecret: 'an older github secret',
    signatureHeader: 'x-hub-signature-256',
    sign: (secret, body) => ({ 'x-hub-signature-256': `sha256=${mac('sha256', secret, [body], 'hex')}` }),
  },
  {
    type: 'slack',
    secret: '8f742231b10e8888abcd99yyyzzz85a5',
    otherSecret: '0000111122223333444455556666aaaa',
    signatureHeader: 'x-slack-signature',
    timestampHeader: 'x-slack-request-timestamp',
    sign: (secret, body, timestamp) => ({
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${mac('sha256', secret, [`v0:${timestamp}:`, body], 'hex')}`,
    }),
  },
  {
    type: 'shopify',
    secret: 'shpss_current_client_secret',
    otherSecret: 'shpss_previous_client_secret',
    signatureHeader: 'x-shopify-hmac-sha256',
    sign: (secret, body) => ({ 'x-shopify-hmac-sha256': mac('sha256', secret, [body], 'base64') }),
  },
  {
    type: 'hmac',
    config: {
      header: 'X-Acme-Signature',
      algorithm: 'sha512',
      encoding: 'base64',
      prefix: 'sig=',
      signed: '{timestamp}|{method}|{url}|{body}',
      timestampHeader: 'X-Acme-Timestamp',
    },
    secret: 'acme-current',
    otherSecret: 'acme-previous',
    signatureHeader: 'x-acme-signature',
    timestampHeader: 'x-acme-timestamp',
    sign: (secret, body, timestamp) => ({
      'x-acme-timestamp': String(timestamp),
      'x-acme-signature': `sig=${mac('sha512', secret, [`${timestamp}|POST|/webhooks/abc|`, body], 'base64')}`,
    }),
  },
];

const BODY = Buffer.from(
  '{"id":"evt_1","type":"order.created","data":{"total":"10.00","note":"caf\u00e9 \u2615"}}',
);

describe.each(FIXTURES)('$type', (fixture) => {
  const auth = (secrets: string[]): InboundAuth => ({ type: fixture.type, secrets, config: fixture.config });
  const verify = (headers: Record<string, string>, secrets = [fixture.secret], body = BODY) =>
    verifyInbound(request(headers, body), auth(secrets), NOW);

  it('accepts a request signed as the provider documents', async () => {
    await expect(verify(fixture.sign(fixture.secret, BODY, NOW_SECONDS))).resolves.toMatchObject({
      ok: true,
    });
  });

  it('rejects a tampered body', async () => {
    const tampered = Buffer.from(BODY.toString().replace('10.00', '99.00'));
    await expect(
      verify(fixture.sign(fixture.secret, BODY, NOW_SECONDS), [fixture.secret], tampered),
    ).resolves.toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('rejects a body differing only by re-serialisation', async () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString()), null, 1));
    const result = await verify(
      fixture.sign(fixture.secret, BODY, NOW_SECONDS),
      [fixture.secret],
      reserialised,
    );
    expect(result).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('rejects the wrong secret', async () => {
    await expect(verify(fixture.sign(fixture.otherSecret, BODY, NOW_SECONDS))).resolves.toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
  });

  it('rejects a missing signature header, naming it', async () => {
    const headers = fixture.sign(fixture.secret, BODY, NOW_SECONDS);
    delete headers[fixture.signatureHeader];
    await expect(verify(headers)).resolves.toEqual({
      ok: false,
      reason: `missing header ${fixture.signatureHeader}`,
    });
  });

  it('rejects a duplicated signature header', async () => {
    const headers: Record<string, string | string[]> = fixture.sign(fixture.secret, BODY, NOW_SECONDS);
    const signature = headers[fixture.signatureHeader] as string;
    headers[fixture.signatureHeader] = [signature, signature];
    const result = await verifyInbound(request(headers, BODY), auth([fixture.secret]), NOW);
    expect(result).toEqual({ ok: false, reason: `duplicate header ${fixture.signatureHeader}` });
  });

  it('accepts either secret during a rotation overlap', async () => {
    const both = [fixture.secret, fixture.otherSecret];
    await expect(verify(fixture.sign(fixture.secret, BODY, NOW_SECONDS), both)).resolves.toMatchObject({
      ok: true,
    });
    await expect(verify(fixture.sign(fixture.otherSecret, BODY, NOW_SECONDS), both)).resolves.toMatchObject({
      ok: true,
    });
  });

  it('never puts the expected signature in the reason', async () => {
    const result = await verify(fixture.sign(fixture.otherSecret, BODY, NOW_SECONDS));
    const expected = fixture.sign(fixture.secret, BODY, NOW_SECONDS)[fixture.signatureHeader];
    expect(JSON.stringify(result)).not.toContain(expected.slice(-20));
  });

  if (fixture.timestampHeader) {
    const timestampHeader = fixture.timestampHeader;

    it.each([
      ['stale', -301],
      ['future', 301],
    ])('rejects a %s timestamp, correctly signed, outside the 300 s tolerance', async (_, offset) => {
      const headers = fixture.sign(fixture.secret, BODY, NOW_SECONDS + offset);
      await expect(verify(headers)).resolves.toEqual({ ok: false, reason: 'timestamp outside tolerance' });
    });

    it.each([-300, 300])('accepts a timestamp exactly at the tolerance (%i s)', async (offset) => {
      await expect(verify(fixture.sign(fixture.secret, BODY, NOW_SECONDS + offset))).resolves.toMatchObject({
        ok: true,
      });
    });

    it('honours a configured tolerance', async () => {
      const headers = fixture.sign(fixture.secret, BODY, NOW_SECONDS - 120);
      const strict: InboundAuth = {
        type: fixture.type,
        secrets: [fixture.secret],
        config: { ...fixture.config, toleranceSeconds: 60 },
      };
      await expect(verifyInbound(request(headers, BODY), strict, NOW)).resolves.toEqual({
        ok: false,
        reason: 'timestamp outside tolerance',
      });
    });

    it('rejects a signature replayed under a fresh timestamp', async () => {
      const old = fixture.sign(fixture.secret, BODY, NOW_SECONDS - 3600);
      const fresh = fixture.sign(fixture.secret, BODY, NOW_SECONDS);
      const signature = old[fixture.signatureHeader];
      const replay =
        timestampHeader === fixture.signatureHeader
          ? { ...fresh, [fixture.signatureHeader]: signature.replace(/^t=\d+/, `t=${NOW_SECONDS}`) }
          : { ...fresh, [fixture.signatureHeader]: signature };
      await expect(verify(replay)).resolves.toEqual({ ok: false, reason: 'signature mismatch' });
    });
  } else {
    it('signs no timestamp, so an old delivery still verifies (dedup on the delivery id is the guard)', async () => {
      await expect(verify(fixture.sign(fixture.secret, BODY, NOW_SECONDS - 86_400))).resolves.toMatchObject({
        ok: true,
      });
    });
  }
});

describe('header formats', () => {
  const slack: InboundAuth = { type: 'slack', secrets: ['8f742231b10e8888abcd99yyyzzz85a5'] };
  const signature = (timestamp: string) =>
    `v0=${mac('sha256', slack.secrets[0], [`v0:${timestamp}:`, BODY], 'hex')}`;

  it('rejects a malformed timestamp', async () => {
    const headers = { 'x-slack-request-timestamp': '1.7e9', 'x-slack-signature': signature('1.7e9') };
    await expect(verifyInbound(request(headers, BODY), slack, NOW)).resolves.toEqual({
      ok: false,
      reason: 'malformed timestamp',
    });
  });

  it('rejects a missing timestamp header, naming it', async () => {
    const headers = { 'x-slack-signature': signature(String(NOW_SECONDS)) };
    await expect(verifyInbound(request(headers, BODY), slack, NOW)).resolves.toEqual({
      ok: false,
      reason: 'missing header x-slack-request-timestamp',
    });
  });

  it('rejects a signature without the expected prefix', async () => {
    const headers = { 'x-slack-request-timestamp': String(NOW_SECONDS), 'x-slack-signature': 'v1=abc' };
    await expect(verifyInbound(request(headers, BODY), slack, NOW)).resolves.toEqual({
      ok: false,
      reason: 'malformed header x-slack-signature',
    });
  });

  it('accepts an upper-case hex signature', async () => {
    const timestamp = String(NOW_SECONDS);
    const upper = `v0=${signature(timestamp).slice(3).toUpperCase()}`;
    const headers = { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': upper };
    await expect(verifyInbound(request(headers, BODY), slack, NOW)).resolves.toMatchObject({ ok: true });
  });

  it('rejects a Stripe header with no v1 signature', async () => {
    const stripe: InboundAuth = { type: 'stripe', secrets: ['whsec_x'] };
    const headers = { 'stripe-signature': `t=${NOW_SECONDS},v0=abcdef` };
    await expect(verifyInbound(request(headers, BODY), stripe, NOW)).resolves.toEqual({
      ok: false,
      reason: 'malformed header stripe-signature',
    });
  });

  it('reads a Standard Webhooks header holding several signatures of several versions', async () => {
    const auth: InboundAuth = {
      type: 'standard-webhooks',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    };
    const signed = FIXTURES[0].sign(auth.secrets[0], BODY, NOW_SECONDS);
    const other = 'Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=';
    signed['webhook-signature'] = `v1,${other} v2,${other} ${signed['webhook-signature']} v1a,${other}`;
    await expect(verifyInbound(request(signed, BODY), auth, NOW)).resolves.toMatchObject({ ok: true });
  });
});
