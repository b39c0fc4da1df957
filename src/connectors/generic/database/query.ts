import { KryonixError } from '../../../platform/errors.js';
import { type ActionContext, defineAction } from '../../sdk.js';
import type { DatabaseDriver, DatabaseSettings, StatementResult } from './driver.js';
import { driverFor } from './pools.js';

export async function openDriver(
  context: ActionContext,
): Promise<{ driver: DatabaseDriver; settings: DatabaseSettings }> {
  const settings = context.connection.config as unknown as DatabaseSettings;
  const settings_ = { ...(context.connection.authConfig ?? {}), ...context.credentials } as {
    username?: string;
    password?: string;
  };
  const address = await context.resolveTarget(settings.host);
  const key = JSON.stringify([address, settings, settings_.username, settings_.password]);
  const driver = driverFor(context.connection.id, key, {
    address,
    settings,
    user: settings_.username ?? '',
    password: settings_.password ?? '',
  });
  return { driver, settings };
}

export function timeLeft(context: ActionContext, configured: number | undefined): number {
  return Math.max(1, Math.min(configured ?? 30_000, context.deadline - Date.now() - 50));
}

export const queryAction = defineAction<
  { sql?: string; statement?: string; params?: unknown[] },
  StatementResult
>({
  name: 'query',
  description:
    'Run one parameterised SQL statement ($1.. on PostgreSQL, ? on MySQL) or a named statement of the connection; answers { rows, rowCount }',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      sql: {
        type: 'string',
        minLength: 1,
        maxLength: 100_000,
        description: 'One SQL statement with placeholders',
      },
      statement: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'Name of a statement configured on the connection',
      },
      params: { type: 'array', maxItems: 1000, description: 'Values bound to the placeholders, in order' },
    },
    oneOf: [{ required: ['sql'] }, { required: ['statement'] }],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      rows: { type: 'array', items: { type: 'object' }, description: 'Result rows (at most the row limit)' },
      rowCount: { type: 'integer', description: 'Rows returned or affected' },
      truncated: { type: 'boolean', description: 'More rows than the row limit were returned' },
    },
    required: ['rows', 'rowCount'],
  },
  async run(context, input) {
    const { driver, settings } = await openDriver(context);
    let sql = input.sql;
    let readOnly = settings.readOnly === true;
    if (input.statement !== undefined) {
      const named = settings.statements?.[input.statement];
      if (!named) {
        throw new KryonixError(
          'KRX_VALIDATION_FAILED',
          `the connection has no statement named "${input.statement}"`,
          {
            extensions: {
              errors: [{ path: '/input/statement', message: 'unknown statement' }],
              statements: Object.keys(settings.statements ?? {}),
            },
          },
        );
      }
      sql = named.sql;
      readOnly ||= named.readOnly === true;
    }
    return driver.run({
      sql: sql!,
      params: input.params ?? [],
      readOnly,
      timeoutMs: timeLeft(context, settings.statementTimeoutMs),
      rowLimit: settings.rowLimit ?? 1000,
    });
  },
});
