#!/usr/bin/env node
/** The `kryonix` command. */
import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { clusterMember, clusterWorkerIndex, isClusterWorker, runPrimary, workerRoles } from './cluster.js';
import { type Config, ConfigError, describeConfig, loadConfig } from './config.js';
import { insertApiKey } from './platform/auth/api-keys.js';
import { addFileKey, loadKeyring, MasterKeyError, pruneFileKeys, Sealer } from './platform/crypto.js';
import { type Database, openDatabase } from './platform/db/client.js';
import { DataDirLockedError } from './platform/db/lock.js';
import { tenants } from './platform/db/schema.js';
import { resealAll } from './platform/key-rotation.js';
import { createPlatform } from './start.js';

/** Known start-up failures end with one clear line; anything else is a bug and keeps its stack. */
function fail(error: unknown): never {
  if (
    error instanceof ConfigError ||
    error instanceof MasterKeyError ||
    error instanceof DataDirLockedError
  ) {
    process.stderr.write(`kryonix: ${error.message}\n`);
  } else {
    process.stderr.write(
      `kryonix: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}

function configFrom(options: { role?: string[]; port?: number }): Config {
  return loadConfig(process.env, { roles: options.role, port: options.port });
}

async function withDatabase<T>(work: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await db.migrate();
    return await work(db, config);
  } finally {
    await db.close();
  }
}

const program = new Command('kryonix').description(
  'KRYONIX Integration Platform: API gateway, integration engine and webhook hub',
);

program
  .command('start')
  .description('Start the platform (every role on one port unless --role says otherwise)')
  .option('--role <roles>', 'comma-separated roles: gateway,webhooks,worker,scheduler', (value) =>
    value.split(','),
  )
  .addOption(new Option('--port <port>', 'port to listen on (default API_GATEWAY_PORT)').argParser(Number))
  .addOption(
    new Option(
      '--workers <n>',
      'processes sharing the port (node:cluster), e.g. one per core; rate limits stay exact across them',
    )
      .argParser(Number)
      .default(1),
  )
  .action(async (options: { role?: string[]; port?: number; workers: number }) => {
    if (!Number.isInteger(options.workers) || options.workers < 1)
      throw new ConfigError('--workers', 'must be a whole number of at least 1');
    const printKey = (key: string) =>
      // The one time this key is ever shown; it is stored only as a hash.
      process.stdout.write(
        `Bootstrap admin API key for tenant "default" (shown once, store it now): ${key}\n`,
      );
    if (options.workers > 1 && cluster.isPrimary) {
      await runPrimary(configFrom(options), options.workers, printKey);
      return;
    }
    const member = isClusterWorker();
    const config = member
      ? configFrom({ ...options, role: workerRoles(configFrom(options).roles, clusterWorkerIndex()) })
      : configFrom(options);
    const platform = await createPlatform(config, member ? clusterMember() : {});
    if (platform.bootstrapKey) printKey(platform.bootstrapKey);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      platform.app.log.info({ signal }, 'shutting down');
      await platform.close();
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    await platform.app.listen({ host: config.host, port: config.port });
  });

program
  .command('migrate')
  .description('Apply database migrations (idempotent) and exit')
  .action(() =>
    withDatabase(async () => {
      process.stdout.write('migrations applied\n');
    }),
  );

program
  .command('config')
  .description('Print the effective configuration, secrets masked')
  .action(() => {
    loadConfig(); // validates: a wrong value fails here exactly as it would at start
    for (const { name, value } of describeConfig()) process.stdout.write(`${name}=${value}\n`);
  });

const tenantsCommand = program.command('tenants').description('Manage tenants');
tenantsCommand
  .command('list')
  .description('List tenants')
  .action(() =>
    withDatabase(async (db) => {
      const rows = await db.withPlatform((tx) => tx.select().from(tenants));
      for (const row of rows) process.stdout.write(`${row.id}\t${row.slug}\t${row.status}\t${row.name}\n`);
    }),
  );
tenantsCommand
  .command('create <slug>')
  .description('Create a tenant and print its first admin API key')
  .option('--name <name>', 'display name (default: the slug)')
  .action((slug: string, options: { name?: string }) =>
    withDatabase(async (db) => {
      const created = await db.withPlatform(async (tx) => {
        const [row] = await tx
          .insert(tenants)
          .values({ slug, name: options.name ?? slug })
          .returning();
        return {
          tenant: row,
          ...(await insertApiKey(tx, {
            tenantId: row.id,
            name: 'first admin',
            role: 'admin',
            createdBy: 'cli',
          })),
        };
      });
      process.stdout.write(
        `tenant ${created.tenant.id} (${slug})\nadmin API key (shown once): ${created.key}\n`,
      );
    }),
  );

const keysCommand = program.command('keys').description('Manage API keys and the master encryption key');
keysCommand
  .command('create-owner')
  .description('Create a platform-owner API key (manages tenants) and print it once')
  .option('--name <name>', 'key name', 'platform owner')
  .action((options: { name: string }) =>
    withDatabase(async (db) => {
      const { key } = await db.withPlatform((tx) =>
        insertApiKey(tx, { tenantId: null, name: options.name, role: 'owner', createdBy: 'cli' }),
      );
      process.stdout.write(`platform-owner API key (shown once): ${key}\n`);
    }),
  );
keysCommand
  .command('rotate-master')
  .description(
    'Re-encrypt every stored secret under a new master key. With API_ENCRYPTION_KEY set: set the new key there and the old one in API_ENCRYPTION_KEY_PREVIOUS first. Without: a new key is added to the data directory.',
  )
  .action(() =>
    withDatabase(async (db, config) => {
      const usesFile = !config.encryptionKey;
      const keyring = usesFile ? addFileKey(config.dataDir) : loadKeyring(config);
      const count = await resealAll(db, new Sealer(keyring));
      if (usesFile) pruneFileKeys(config.dataDir);
      process.stdout.write(`re-encrypted ${count} secrets under key ${keyring.currentKeyId}\n`);
    }),
  );

program.parseAsync(process.argv).catch(fail);
