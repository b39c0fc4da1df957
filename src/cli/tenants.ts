/** `kryonix tenants ...`: the same service, checks and audit entries as the platform owner's API. */
import type { Command } from 'commander';
import { cliContext } from '../platform/auth/system.js';
import { createEventBus } from '../platform/events.js';
import { checkTenantSlug, createTenantService } from '../platform/tenancy.js';
import { row, withDatabase } from './database.js';
import { displayName } from './options.js';

export function tenantCommands(program: Command): void {
  const tenants = program.command('tenants').description('Manage tenants');

  tenants
    .command('list')
    .description('List tenants: id, slug, status, name')
    .action(() =>
      withDatabase(async (db) => {
        for (const tenant of await createTenantService(db, createEventBus()).list())
          process.stdout.write(row([tenant.id, tenant.slug, tenant.status, tenant.name]));
      }),
    );

  tenants
    .command('create <slug>')
    .description(
      "Create a tenant and print its first admin API key (once). The slug is 1 to 63 lowercase letters, digits and dashes. Audited in the new tenant's log as tenant.create and api_key.create by cli:<os user>.",
    )
    .option('--name <name>', 'display name (default: the slug)', displayName)
    .action((slug: string, options: { name?: string }) => {
      checkTenantSlug(slug); // before opening (and migrating) the database
      return withDatabase(async (db) => {
        const created = await createTenantService(db, createEventBus()).createWithAdminKey(
          cliContext(),
          { slug, name: options.name ?? slug },
          'first admin',
        );
        process.stdout.write(
          `tenant ${created.tenant.id} (${slug})\nadmin API key (shown once): ${created.key}\n`,
        );
      });
    });
}
