import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addFileKey,
  generateMasterKey,
  keyFilePath,
  loadKeyring,
  MasterKeyError,
  maskSecrets,
  pruneFileKeys,
  Sealer,
} from './crypto.js';

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'krx-crypto-'));

describe('Sealer', () => {
  const sealer = new Sealer(
    loadKeyring({
      encryptionKey: generateMasterKey(),
      encryptionKeyPrevious: undefined,
      production: false,
      dataDir: '/nonexistent',
    }),
  );

  it('round-trips a value and hides it', () => {
    const envelope = sealer.seal({ token: 'secret-value' }, 'connections.credentials:1');
    expect(JSON.stringify(envelope)).not.toContain('secret-value');
    expect(sealer.open(envelope, 'connections.credentials:1')).toEqual({ token: 'secret-value' });
  });

  it('refuses an envelope moved to another row or tampered with', () => {
    const envelope = sealer.seal({ token: 'x' }, 'connections.credentials:1');
    expect(() => sealer.open(envelope, 'connections.credentials:2')).toThrow();
    const tampered = { ...envelope, ct: Buffer.from('garbage!').toString('base64') };
    expect(() => sealer.open(tampered, 'connections.credentials:1')).toThrow();
  });

  it('opens envelopes sealed under the previous key during rotation', () => {
    const oldKey = generateMasterKey();
    const newKey = generateMasterKey();
    const before = new Sealer(
      loadKeyring({
        encryptionKey: oldKey,
        encryptionKeyPrevious: undefined,
        production: false,
        dataDir: '',
      }),
    );
    const envelope = before.seal('v', 'b');
    const during = new Sealer(
      loadKeyring({ encryptionKey: newKey, encryptionKeyPrevious: oldKey, production: false, dataDir: '' }),
    );
    expect(during.open(envelope, 'b')).toBe('v');
    expect(during.seal('v', 'b').kid).not.toBe(envelope.kid);
    const after = new Sealer(
      loadKeyring({
        encryptionKey: newKey,
        encryptionKeyPrevious: undefined,
        production: false,
        dataDir: '',
      }),
    );
    expect(() => after.open(envelope, 'b')).toThrow(MasterKeyError);
  });
});

describe('loadKeyring', () => {
  it('generates a key file with mode 0600 once, then reuses it', () => {
    const dataDir = tempDir();
    const first = loadKeyring({
      encryptionKey: undefined,
      encryptionKeyPrevious: undefined,
      production: false,
      dataDir,
    });
    expect(fs.statSync(keyFilePath(dataDir)).mode & 0o777).toBe(0o600);
    const second = loadKeyring({
      encryptionKey: undefined,
      encryptionKeyPrevious: undefined,
      production: false,
      dataDir,
    });
    expect(second.currentKeyId).toBe(first.currentKeyId);
  });

  it('refuses production without API_ENCRYPTION_KEY and malformed keys', () => {
    expect(() =>
      loadKeyring({
        encryptionKey: undefined,
        encryptionKeyPrevious: undefined,
        production: true,
        dataDir: tempDir(),
      }),
    ).toThrow(/API_ENCRYPTION_KEY: required when NODE_ENV=production/);
    expect(() =>
      loadKeyring({
        encryptionKey: 'too-short',
        encryptionKeyPrevious: undefined,
        production: false,
        dataDir: '',
      }),
    ).toThrow(/API_ENCRYPTION_KEY: must be 32 bytes/);
  });

  it('rotates the file key: new current key, old kept until pruned', () => {
    const dataDir = tempDir();
    const first = loadKeyring({
      encryptionKey: undefined,
      encryptionKeyPrevious: undefined,
      production: false,
      dataDir,
    });
    const rotated = addFileKey(dataDir);
    expect(rotated.currentKeyId).not.toBe(first.currentKeyId);
    expect(rotated.keys.has(first.currentKeyId)).toBe(true);
    pruneFileKeys(dataDir);
    const pruned = loadKeyring({
      encryptionKey: undefined,
      encryptionKeyPrevious: undefined,
      production: false,
      dataDir,
    });
    expect([...pruned.keys.keys()]).toEqual([rotated.currentKeyId]);
  });
});

it('maskSecrets hides every leaf value', () => {
  expect(maskSecrets({ a: 'x', b: { c: 1 }, d: '' })).toEqual({ a: '********', b: { c: '********' }, d: '' });
});
