import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { deleteAction } from './file/delete.js';
import { listAction } from './file/list.js';
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

export const fileConnector = defineConnector({
  id: 'file',
  version: '1.0.0',
  displayName: 'Files (SFTP, local folder)',
  description:
    'Files on an SFTP server (password or private key, host key pinning) or in a local folder confined to its root: list, stat, read (text or base64, size-capped), write, delete.',
  type: 'file',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/file',
  config: {
    type: 'object',
    properties: {
      mode: {
        enum: ['sftp', 'local'],
        description: 'sftp (a remote server) or local (a folder on this host)',
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
      maxReadBytes: {
        type: 'integer',
        minimum: 1,
        maximum: 52_428_800,
        default: 10_485_760,
        description: 'Largest file the read action returns',
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
    ],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.none, AUTH_METHODS.basic, SSH_KEY),
  actions: [listAction, statAction, readAction, writeAction, deleteAction],
  async test(context) {
    return withBackend(context, async (backend, settings) => {
      const root = await backend.stat('');
      return {
        ok: root.type === 'directory',
        message:
          root.type === 'directory'
            ? `${settings.mode === 'sftp' ? `SFTP ${settings.host}` : 'the local folder'}: the root is readable`
            : 'the root is not a directory',
      };
    });
  },
});
