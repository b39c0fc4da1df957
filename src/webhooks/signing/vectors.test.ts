import { describe, expect, it } from 'vitest';
import { signStandardWebhooks, verifyInbound } from './index.js';
import { request } from './test-support.js';

// Test vectors published by the providers themselves.

describe('GitHub, "Validating webhook deliveries"', () => {
  const secret = "It's a Secret to Everybody";
  const headers = {
    'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  };

  it('verifies the documented signature and returns the delivery id', async () => {
    await expect(
      verifyInbound(request(headers, 'Hello, World!'), { type: 'github', secrets: [secret] }),
    ).resolves.toEqual({ ok: true, deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958' });
  });

  it('rejects it for a changed payload', async () => {
    await expect(
      verifyInbound(request(headers, 'Hello, World?'), { type: 'github', secrets: [secret] }),
    ).resolves.toEqual({ ok: false, reason: 'signature mismatch' });
  });
});

describe('Slack, "Verifying requests from Slack"', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const headers = {
    'x-slack-request-timestamp': '1531420618',
    'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  };

  it('verifies the documented example at its own time', async () => {
    const result = await verifyInbound(
      request(headers, body),
      { type: 'slack', secrets: [secret] },
      new Date(1531420618_000),
    );
    expect(result).toEqual({ ok: true });
  });

  it('rejects the same example replayed today', async () => {
    await expect(
      verifyInbound(request(headers, body), { type: 'slack', secrets: [secret] }),
    ).resolves.toEqual({
      ok: false,
      reason: 'timestamp outside tolerance',
    });
  });
});

describe('Standard Webhooks, the JavaScript library\'s "sign function works" vector', () => {
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };

  it('signs to the published signature', () => {
    const headers = signStandardWebhooks({
      id: vector.id,
      timestamp: new Date(vector.timestamp * 1000),
      body: vector.body,
      secrets: [vector.secret],
    });
    expect(headers).toEqual({
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': vector.signature,
    });
  });

  it('verifies the published signature, also with the secret given without its whsec_ prefix', async () => {
    const headers = {
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': vector.signature,
    };
    const at = new Date(vector.timestamp * 1000);
    for (const secret of [vector.secret, vector.secret.slice('whsec_'.length)]) {
      const result = await verifyInbound(
        request(headers, vector.body),
        { type: 'standard-webhooks', secrets: [secret] },
        at,
      );
      expect(result).toEqual({ ok: true, deliveryId: vector.id });
    }
  });
});
