import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isKryonixError } from '../../platform/errors.js';
import { type InboundAuth, validateAuth, verifyInbound } from './index.js';
import { request } from './test-support.js';

function problems(auth: InboundAuth): { field: string; message: string }[] {
  try {
    validateAuth(auth);
  } catch (error) {
    if (isKryonixError(error) && error.code === 'KRX_VALIDATION_FAILED') {
      return error.extensions.errors as { field: string; message: string }[];
    }
    throw error;
  }
  return [];
}

const fields = (auth: InboundAuth) => problems(auth).map((problem) => problem.field);

describe('validateAuth', () => {
  it('fills defaults and lowercases header names', () => {
    expect(validateAuth({ type: 'secret', secrets: ['s'] }).config).toEqual({ header: 'x-webhook-secret' });
    expect(validateAuth({ type: 'stripe', secrets: ['whsec_x'] }).config).toEqual({ toleranceSeconds: 300 });
    expect(
      validateAuth({ type: 'hmac', secrets: ['s'], config: { header: 'X-Sig', deliveryIdHeader: 'X-Id' } })
        .config,
    ).toEqual({
      header: 'x-sig',
      deliveryIdHeader: 'x-id',
      algorithm: 'sha256',
      encoding: 'hex',
      prefix: '',
      signed: '{body}',
      toleranceSeconds: 300,
    });
  });

  it('does not modify the settings it is given', () => {
    const config = { header: 'X-Sig' };
    validateAuth({ type: 'hmac', secrets: ['s'], config });
    expect(config).toEqual({ header: 'X-Sig' });
  });

  it('names unknown types, unknown settings, missing and bad values', () => {
    expect(fields({ type: 'md5' as never, secrets: [] })).toEqual(['type']);
    expect(fields({ type: 'github', secrets: ['s'], config: { toleranceSeconds: 60 } })).toEqual([
      'config.toleranceSeconds',
    ]);
    expect(fields({ type: 'basic', secrets: ['p'] })).toEqual(['config.username']);
    expect(
      fields({ type: 'hmac', secrets: ['s'], config: { header: 'bad header', encoding: 'hex2' } }),
    ).toEqual(['config.header', 'config.encoding']);
    expect(fields({ type: 'slack', secrets: ['s'], config: { toleranceSeconds: 0 } })).toEqual([
      'config.toleranceSeconds',
    ]);
  });

  it('requires secrets where they are used, whsec_ ones for Standard Webhooks', () => {
    expect(fields({ type: 'github', secrets: [] })).toEqual(['secrets']);
    expect(fields({ type: 'shopify', secrets: ['ok', ''] })).toEqual(['secrets.1']);
    expect(fields({ type: 'standard-webhooks', secrets: ['not base64!'] })).toEqual(['secrets.0']);
    expect(fields({ type: 'none', secrets: [] })).toEqual([]);
  });

  it('keeps secrets out of the messages', () => {
    const secret = 'whsec_has spaces so it is invalid';
    const thrown = (() => {
      try {
        validateAuth({ type: 'standard-webhooks', secrets: [secret] });
      } catch (error) {
        return error as Error;
      }
    })();
    expect(JSON.stringify(thrown && { message: thrown.message, ...(thrown as object) })).not.toContain(
      secret,
    );
  });

  it('checks the generic HMAC template against the headers it reads', () => {
    const hmac = (config: Record<string, unknown>) =>
      fields({ type: 'hmac', secrets: ['s'], config: { header: 'x-sig', ...config } });
    expect(hmac({ signed: '{timestamp}.{body}', timestampHeader: 'x-ts' })).toEqual([]);
    expect(hmac({ signed: '{timestamp}.{body}' })).toEqual(['config.timestampHeader']);
    expect(hmac({ signed: '{body}', timestampHeader: 'x-ts' })).toEqual(['config.timestampHeader']);
    expect(hmac({ signed: '{id}:{body}' })).toEqual(['config.idHeader']);
    expect(hmac({ signed: '{timestamp}', timestampHeader: 'x-ts' })).toEqual(['config.signed']);
    expect(hmac({ signed: '{nonce}.{body}' })).toEqual(['config.signed']);
  });

  it('checks JWT key settings against the algorithm', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const jwt = (config: Record<string, unknown>, secrets: string[] = []) =>
      fields({ type: 'jwt', secrets, config });
    expect(jwt({ algorithm: 'HS256' })).toEqual(['secrets']);
    expect(jwt({ algorithm: 'HS256', jwksUrl: 'https://x.example/jwks' }, ['s'])).toEqual([
      'config.algorithm',
    ]);
    expect(jwt({ algorithm: 'RS256' })).toEqual(['config.jwksUrl']);
    expect(jwt({ algorithm: 'RS256', publicKey: rsa })).toEqual([]);
    expect(jwt({ algorithm: 'ES256', publicKey: rsa })).toEqual(['config.publicKey']);
    expect(
      jwt({ algorithm: 'RS256', publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }),
    ).toEqual(['config.publicKey']);
    expect(jwt({ algorithm: 'RS256', jwksUrl: 'ftp://x.example/jwks' })).toEqual(['config.jwksUrl']);
  });

  it('makes verifyInbound throw on invalid settings rather than answer a reason', async () => {
    await expect(verifyInbound(request({}, ''), { type: 'github', secrets: [] })).rejects.toMatchObject({
      code: 'KRX_VALIDATION_FAILED',
    });
  });
});
