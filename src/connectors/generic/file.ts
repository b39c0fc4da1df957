import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import type { FileSettings } from './file/backend.js';
import { deleteAction } from './file/delete.js';
import { listAction } from './file/list.js';
import { moveAction } from './file/move.js';
import { withBackend } from './file/open.js';
import { readAction } from './file/read.js';
import { statAction } from './file/stat.js';
import { writeAction } from './file/write.js';

/** SSH public-key authentication: the private key (and its passphrase) are secrets. */
const SSH_KEY = {
  type: 'object',
  description: 'SSH private-key authentication',
  properties: {
    type: { const: 'ssh_key', description: 'Auth method' },
    username: { type: 'string', minLength: 1, description: 'User name' },
    privateKey: {
      type: 'string',
      minLength: 1,
      writeOnly: true,
      description: 'Private key, PEM or OpenSSH format',
    },
    passphrase: { type: 'string', writeOnly: true, description: 'Passphrase of an encrypted key' },
  },
  required: ['type', 'username', 'privateKey'],
  additionalProperties: false,
};

/** S3 access keys: the secret access key and a session token are secrets. */
const AWS_ACCESS_KEY = {
  type: 'object',
  description: 'S3 access key pair (AWS signature version 4), optionally with a session token',
  properties: {
    type: { const: 'aws_access_key', description: 'Auth method' },
    accessKeyId: { type: 'string', minLength: 1, maxLength: 128, description: 'Access key id' },
    secretAccessKey: { type: 'string', minLength: 1, writeOnly: true, description: 'Secret access key' },
    sessionToken: {
      type: 'string',
      minLength: 1,
      writeOnly: true,
      description: 'Session token of temporary credentials (STS)',
    },
  },
  required: ['type', 'accessKeyId', 'secretAccessKey'],
  additionalProperties: false,
};

const WHERE: Record<FileSettings['mode'], (settings: FileSettings) => string> = {
  sftp: (settings) => `SFTP ${settings.host}`,
  s3: (settings) => `S3 bucket ${settings.bucket}`,
  local: () => 'the local folder',
};

export const fileConnector = defineConnector({
  id: 'file',
  version: '1.1.0',
  displayName: 'Files (SFTP, S3, local folder)',
  description:
    'Files on an SFTP server (password or private key, host key pinning), in S3-compatible object storage (AWS, MinIO, R2...) under a key prefix, or in a local folder confined to its root: list, stat, read (text, base64, parsed CSV/JSON/XML/YAML, or streamed raw), write (JSON or a streamed raw body), move, delete.',
  type: 'file',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/file',
  config: {
    type: 'object',
    properties: {
      mode: {
        enum: ['sftp', 's3', 'local'],
        description: 'sftp (a remote server), s3 (an S3-compatible bucket) or local (a folder on this host)',
      },
      root: {
        type: 'string',
        minLength: 1,
        maxLength: 4096,
        description:
          'Folder every path is relative to: on the server for sftp (default /), an absolute path inside KRYONIX_DANGEROUS_FILE_ROOTS for local',
      },
      host: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'SFTP host (checked by the SSRF guard)',
      },
      port: { type: 'integer', minimum: 1, maximum: 65535, default: 22, description: 'SFTP port' },
      hostKeySha256: {
        type: 'string',
        pattern: '^SHA256:[A-Za-z0-9+/]{43}$',
        description:
          "The server's host key fingerprint as ssh-keygen -lf prints it (SHA256:...); when set, any other key is refused",
      },
      bucket: {
        type: 'string',
        minLength: 3,
        maxLength: 63,
        description: 'S3 bucket name',
      },
      region: {
        type: 'string',
        minLength: 1,
        maxLength: 64,
        default: 'us-east-1',
        description: 'S3 region the requests are signed for',
      },
      endpoint: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2048,
        description:
          'S3-compatible endpoint URL (MinIO, R2, Ceph...; checked by the SSRF guard); default: AWS for the region',
      },
      forcePathStyle: {
        type: 'boolean',
        default: false,
        description:
          'Address the bucket in the path (endpoint/bucket/key), as MinIO and most self-hosted servers need',
      },
      prefix: {
        type: 'string',
        maxLength: 1024,
        description: 'S3 key prefix every path is under (a folder in the bucket); no path leaves it',
      },
      maxReadBytes: {
        type: 'integer',
        minimum: 1,
        maximum: 52_428_800,
        default: 10_485_760,
        description: 'Largest file the read action returns in JSON (raw reads stream any size)',
      },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-run timeout in ms' },
      retry: {
        type: 'object',
        description: 'Retry policy for idempotent actions',
        properties: {
          attempts: {
            type: 'integer',
            minimum: 0,
            maximum: 20,
            description: 'Retries after the first attempt',
          },
          delayMs: { type: 'integer', minimum: 0, description: 'Base backoff in ms' },
        },
        additionalProperties: false,
      },
    },
    required: ['mode'],
    oneOf: [
      { properties: { mode: { const: 'sftp' } }, required: ['host'] },
      { properties: { mode: { const: 'local' } }, required: ['root'] },
      { properties: { mode: { const: 's3' } }, required: ['bucket'] },
    ],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.none, AUTH_METHODS.basic, SSH_KEY, AWS_ACCESS_KEY),
  actions: [listAction, statAction, readAction, writeAction, moveAction, deleteAction],
  async test(context) {
    return withBackend(context, async (backend, settings) => {
      const root = await backend.stat('');
      return {
        ok: root.type === 'directory',
        message:
          root.type === 'directory'
            ? `${WHERE[settings.mode](settings)}: the root is readable`
            : 'the root is not a directory',
      };
    });
  },
});
