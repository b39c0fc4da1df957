#!/usr/bin/env node
/** The `kryonix` command. */
import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import { withDatabase } from './cli/database.js';
import { fail } from './cli/fail.js';
import { keyCommands } from './cli/keys.js';
import { portNumber, processCount, roleList } from './cli/options.js';
import { tenantCommands } from './cli/tenants.js';
import { clusterMember, clusterWorkerIndex, isClusterWorker, runPrimary, workerRoles } from './cluster.js';
import { type Config, describeConfig, loadConfig } from './config.js';
import { createPlatform } from './start.js';

function configFrom(options: { role?: string[]; port?: number }): Config {
  return loadConfig(process.env, { roles: options.role, port: options.port });
}

const program = new Command('kryonix')
  .description('KRYONIX Integration Platform: API gateway, integration engine and webhook hub')
  // Commander's own errors (unknown command, missing argument, a bad option value) in our one-line form.
  .configureOutput({ outputError: (message, write) => write(message.replace(/^error: /, 'kryonix: ')) });

program
  .command('start')
  .description('Start the platform (every role on one port unless --role says otherwise)')
  .option('--role <roles>', 'comma-separated roles: gateway,webhooks,worker,scheduler', roleList)
  .addOption(
    new Option('--port <port>', 'port to listen on (default API_GATEWAY_PORT)').argParser(portNumber),
  )
  .addOption(
    new Option(
      '--workers <n>',
      'processes sharing the port (node:cluster), e.g. one per core; rate limits stay exact across them',
    )
      .argParser(processCount)
      .default(1),
  )
  .action(async (options: { role?: string[]; port?: number; workers: number }) => {
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

tenantCommands(program);
keyCommands(program);

program.parseAsync(process.argv).catch(fail);
