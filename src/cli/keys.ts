/** `kryonix keys ...`: platform-owner keys, any key's revocation, and the master encryption key. */
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { API_KEY_CACHE_TTL_MS } from '../platform/auth/api-keys.js';
import { createOwnerKey, listKeysOf, revokeKeyById } from '../platform/auth/owner-keys.js';
import { cliContext } from '../platform/auth/system.js';
import { addFileKey, loadKeyring, pruneFileKeys, Sealer } from '../platform/crypto.js';
import { createRedisEventTransport } from '../platform/event-transport.js';
import { createEventBus } from '../platform/events.js';
import { resealAll } from '../platform/key-rotation.js';
import { connectRedis } from '../platform/redis.js';
import { createTenantService } from '../platform/tenancy.js';
import { row, withDatabase } from './database.js';
import { displayName } from './options.js';

/**
 * Tells running nodes to drop their cached copy of a revoked key. Only Redis reaches them from here;
 * without it they stop accepting the key when their cache entry expires. Returns what happened.
 */
async function announceRevocation(config: Config, tenantId: string | null, keyId: string): Promise<string> {
  const bound = `within ${API_KEY_CACHE_TTL_MS / 1000} s`;
  if (!config.redisUrl) {
    // The embedded database admits one process: no node can be running while this command is.
    return config.databaseUrl
      ? `running nodes stop accepting it ${bound} (at once when REDIS_URL is set)`
      : 'the platform will refuse it from its next start';
  }
  try {
    const transport = await createRedisEventTransport(
      await connectRedis(config.redisUrl, undefined, 'key revocation'),
    );
    await transport.broadcast({
      type: 'api_key.revoked',
      data: { tenantId, keyId },
      time: new Date().toISOString(),
    });
    await transport.close();
    return 'running nodes were told over Redis to refuse it now';
  } catch (error) {
    return `could not reach Redis (${(error as Error).message}): running nodes stop accepting it ${bound}`;
  }
}

export function keyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage API keys and the master encryption key');

  keys
    .command('create-owner')
    .description(
      'Create a platform-owner API key (manages tenants) and print it once. Audited as api_key.create in the platform log.',
    )
    .option('--name <name>', 'key name', displayName, 'platform owner')
    .action((options: { name: string }) =>
      withDatabase(async (db) => {
        const { key, view } = await createOwnerKey(db, cliContext(), { name: options.name });
        process.stdout.write(`platform-owner API key ${view.id} (shown once): ${key}\n`);
      }),
    );

  keys
    .command('list')
    .description(
      "List the platform-owner keys, or with --tenant a tenant's keys: id, name, role, prefix, created, expires, last used, revoked. Never the key itself.",
    )
    .option('--tenant <id|slug>', "list this tenant's keys instead")
    .action((options: { tenant?: string }) =>
      withDatabase(async (db) => {
        const tenantId = options.tenant
          ? (await createTenantService(db, createEventBus()).find(options.tenant)).id
          : null;
        process.stdout.write(
          row(['id', 'name', 'role', 'prefix', 'created', 'expires', 'last used', 'revoked']),
        );
        for (const key of await listKeysOf(db, tenantId)) {
          process.stdout.write(
            row([
              key.id,
              key.name,
              key.role,
              key.prefix,
              key.createdAt,
              key.expiresAt,
              key.lastUsedAt,
              key.revokedAt,
            ]),
          );
        }
      }),
    );

  keys
    .command('revoke <id>')
    .description(
      "Revoke an API key by id (`keys list` shows ids): a platform-owner key, or any tenant's. Audited as api_key.revoke in the key's tenant log, or the platform log for an owner key.",
    )
    .action((id: string) =>
      withDatabase(async (db, config) => {
        const revoked = await revokeKeyById(db, cliContext(), id);
        const note = await announceRevocation(config, revoked.tenantId, revoked.id);
        process.stdout.write(`revoked API key ${revoked.id} (${revoked.role}, "${revoked.name}"); ${note}\n`);
      }),
    );

  keys
    .command('rotate-master')
    .description(
      "Re-encrypt every stored secret under a new master key. With API_ENCRYPTION_KEY set: set the new key there and the old one in API_ENCRYPTION_KEY_PREVIOUS first. Without: a new key is added to the data directory. Audited as master_key.rotate (counts) in the platform log and in each tenant's whose secrets it re-encrypted.",
    )
    .action(() =>
      withDatabase(async (db, config) => {
        const usesFile = !config.encryptionKey;
        // The key file exists once anything was sealed; on a database with no secrets yet, make it now.
        const current = loadKeyring(config);
        const keyring = usesFile ? addFileKey(config.dataDir) : current;
        const count = await resealAll(db, new Sealer(keyring), cliContext());
        if (usesFile) pruneFileKeys(config.dataDir);
        process.stdout.write(`re-encrypted ${count} secrets under key ${keyring.currentKeyId}\n`);
      }),
    );
}
