/**
 * Credentials at rest: AES-256-GCM under a master key named by a key id, so keys can rotate.
 * An envelope records the key id it was sealed with; opening looks the key up in the keyring, and
 * `kryonix keys rotate-master` re-seals every envelope under the current key.
 *
 * Every envelope is bound (GCM additional data) to the row and column it belongs to, so a ciphertext
 * copied into another tenant's row does not open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface EncryptedEnvelope {
  v: 1;
  kid: string;
  iv: string;
  tag: string;
  ct: string;
}

export interface Keyring {
  readonly currentKeyId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

const KEY_BYTES = 32;

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

/** A 32-byte key written as base64 (44 characters) or hex (64). */
export function decodeMasterKey(raw: string, variable: string): Buffer {
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new MasterKeyError(
      `${variable}: must be 32 bytes written as base64 or hex (openssl rand -base64 32)`,
    );
  }
  return key;
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

interface KeyFile {
  current: string;
  keys: Record<string, string>;
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, 'master.key');
}

function writeKeyFile(file: string, content: KeyFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temporary, file);
}

function keyringFromFile(file: string): Keyring {
  const content = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const keys = new Map(Object.entries(content.keys).map(([id, raw]) => [id, decodeMasterKey(raw, file)]));
  if (!keys.has(content.current))
    throw new MasterKeyError(`${file}: the current key ${content.current} is missing`);
  return { currentKeyId: content.current, keys };
}

export interface KeyringSource {
  encryptionKey: string | undefined;
  encryptionKeyPrevious: string | undefined;
  production: boolean;
  dataDir: string;
}

/**
 * The keyring from API_ENCRYPTION_KEY (+ _PREVIOUS), or else from the data directory's key file,
 * generated on first use. Production without API_ENCRYPTION_KEY is refused: a key generated on one
 * node's disk would not open rows written by another.
 */
export function loadKeyring(source: KeyringSource): Keyring {
  if (source.encryptionKey) {
    const current = decodeMasterKey(source.encryptionKey, 'API_ENCRYPTION_KEY');
    const keys = new Map([[keyIdOf(current), current]]);
    if (source.encryptionKeyPrevious) {
      const previous = decodeMasterKey(source.encryptionKeyPrevious, 'API_ENCRYPTION_KEY_PREVIOUS');
      keys.set(keyIdOf(previous), previous);
    }
    return { currentKeyId: keyIdOf(current), keys };
  }
  if (source.production) {
    throw new MasterKeyError(
      'API_ENCRYPTION_KEY: required when NODE_ENV=production (openssl rand -base64 32)',
    );
  }
  const file = keyFilePath(source.dataDir);
  if (!fs.existsSync(file)) {
    const key = generateMasterKey();
    writeKeyFile(file, {
      current: keyIdOf(Buffer.from(key, 'base64')),
      keys: { [keyIdOf(Buffer.from(key, 'base64'))]: key },
    });
  }
  return keyringFromFile(file);
}

/** Adds a fresh key to the data directory's key file and makes it current; the old ones stay to open rows. */
export function addFileKey(dataDir: string): Keyring {
  const file = keyFilePath(dataDir);
  const content = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  const key = generateMasterKey();
  const id = keyIdOf(Buffer.from(key, 'base64'));
  writeKeyFile(file, { current: id, keys: { ...content.keys, [id]: key } });
  return keyringFromFile(file);
}

/** Drops every key but the current one from the key file, once no envelope needs them. */
export function pruneFileKeys(dataDir: string): void {
  const file = keyFilePath(dataDir);
  const content = JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
  writeKeyFile(file, {
    current: content.current,
    keys: { [content.current]: content.keys[content.current] },
  });
}

export class Sealer {
  constructor(private readonly keyring: Keyring) {}

  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  seal(value: unknown, boundTo: string): EncryptedEnvelope {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.keys.get(this.keyring.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(boundTo));
    const ct = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      v: 1,
      kid: this.keyring.currentKeyId,
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  }

  open<T = unknown>(envelope: EncryptedEnvelope, boundTo: string): T {
    const key = this.keyring.keys.get(envelope.kid);
    if (!key) throw new MasterKeyError(`no master key with id ${envelope.kid} is configured`);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(envelope.iv, 'base64'));
    decipher.setAAD(Buffer.from(boundTo));
    decipher.setAuthTag(Buffer.from(envelope.tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as T;
  }
}

export function isEnvelope(value: unknown): value is EncryptedEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as EncryptedEnvelope).v === 1 &&
    typeof (value as EncryptedEnvelope).ct === 'string'
  );
}

/** Where envelopes live, for rotation; `boundTo` must match what the owning module seals with. */
export const SEALED_COLUMNS = [
  { table: 'connections', column: 'credentials' },
  { table: 'webhook_endpoints', column: 'secret_key' },
  { table: 'webhook_subscriptions', column: 'authentication' },
  { table: 'integration_alerts', column: 'notification_config' },
] as const;

export function sealedBinding(table: string, column: string, rowId: string): string {
  return `${table}.${column}:${rowId}`;
}

/** Replaces every secret-looking value of an object with a mask, for responses and records. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, maskValue(inner)]));
  }
  return value;
}

function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return value.length > 0 ? '********' : '';
  if (value && typeof value === 'object') return maskSecrets(value);
  return value === null || value === undefined ? value : '********';
}
