import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { closeAllDrivers, releaseDriver } from './database/pools.js';
import { openDriver, queryAction, timeLeft } from './database/query.js';

export const databaseConnector = defineConnector({
  id: 'database',
  version: '1.0.0',
  displayName: 'Database',
  description:
    'PostgreSQL and MySQL/MariaDB: parameterised statements, named statements, read-only mode, row limit and timeout.',
  type: 'database',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/database',
  config: {
    type: 'object',
    properties: {
      driver: {
        enum: ['postgres', 'mysql'],
        description: 'postgres (PostgreSQL) or mysql (MySQL and MariaDB)',
      },
      host: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'Database host (checked by the SSRF guard)',
      },
      port: { type: 'integer', minimum: 1, maximum: 65535, description: 'Port (default 5432 or 3306)' },
      database: { type: 'string', minLength: 1, maxLength: 255, description: 'Database name' },
      ssl: { type: 'boolean', default: false, description: 'Connect with TLS' },
      readOnly: {
        type: 'boolean',
        default: false,
        description: 'Run every statement in a READ ONLY transaction',
      },
      statementTimeoutMs: {
        type: 'integer',
        minimum: 1,
        maximum: 3_600_000,
        default: 30_000,
        description: 'Server-side statement timeout',
      },
      rowLimit: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        default: 1000,
        description: 'Most rows returned by one query',
      },
      poolSize: {
        type: 'integer',
        minimum: 1,
        maximum: 50,
        default: 5,
        description: 'Pooled connections per connection',
      },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-run timeout in ms' },
      statements: {
        type: 'object',
        description: 'Named statements callers run by name',
        additionalProperties: {
          type: 'object',
          properties: {
            sql: { type: 'string', minLength: 1, description: 'The statement, with placeholders' },
            description: { type: 'string', description: 'What it does' },
            readOnly: { type: 'boolean', description: 'Run it read-only even on a read-write connection' },
          },
          required: ['sql'],
          additionalProperties: false,
        },
      },
    },
    required: ['driver', 'host', 'database'],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.basic),
  actions: [queryAction],
  async test(context) {
    const { driver, settings } = await openDriver(context);
    const result = await driver.run({
      sql: 'SELECT 1 AS ok',
      params: [],
      readOnly: true,
      timeoutMs: timeLeft(context, settings.statementTimeoutMs),
      rowLimit: 1,
    });
    return { ok: result.rows.length === 1, message: `${settings.driver} answered SELECT 1` };
  },
  release: releaseDriver,
  shutdown: closeAllDrivers,
});
