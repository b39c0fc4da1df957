/**
 * PostgreSQL through `pg`: every statement runs in its own transaction (READ ONLY when asked, so the
 * database itself refuses writes), with `SET LOCAL statement_timeout`, over the extended protocol
 * (one statement, parameters bound, never spliced).
 */
import pg from 'pg';
import { KryonixError } from '../../../platform/errors.js';
import type { DatabaseDriver, DriverTarget, StatementResult, StatementRun } from './driver.js';

/** SQLSTATE classes and codes → platform errors. */
function mapError(error: unknown): KryonixError {
  const e = error as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = `PostgreSQL: ${e.message ?? 'error'}`;
  const extensions = { upstreamError: code, upstreamMessage: e.message ?? '' };
  if (code === '57014')
    return new KryonixError('KRX_UPSTREAM_TIMEOUT', `${message} (statement timeout)`, { extensions });
  if (code.startsWith('28')) return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', message, { extensions });
  if (/^(08|53|57P)/.test(code) || ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'ECONNRESET'].includes(code)) {
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', message, {
      extensions: { ...extensions, retryable: true },
    });
  }
  if (code === '40001' || code === '40P01')
    return new KryonixError('KRX_UPSTREAM_ERROR', message, {
      extensions: { ...extensions, retryable: true },
    });
  return new KryonixError('KRX_UPSTREAM_REJECTED', message, { extensions });
}

export function createPostgresDriver(target: DriverTarget): DatabaseDriver {
  const { settings } = target;
  const pool = new pg.Pool({
    host: target.address,
    port: settings.port ?? 5432,
    database: settings.database,
    user: target.user,
    password: target.password,
    ssl: settings.ssl ? { servername: settings.host } : undefined,
    max: settings.poolSize ?? 5,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on('error', () => {}); // an idle client's failure surfaces on the next query

  return {
    async run(statement: StatementRun): Promise<StatementResult> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw mapError(error);
      }
      try {
        await client.query(statement.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
        await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(statement.timeoutMs))}`);
        const result = await client.query({
          text: statement.sql,
          values: statement.params,
          queryMode: 'extended',
        } as pg.QueryConfig);
        await client.query('COMMIT');
        const rows = result.rows ?? [];
        return {
          rows: rows.slice(0, statement.rowLimit),
          rowCount: result.rowCount ?? rows.length,
          truncated: rows.length > statement.rowLimit,
        };
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw mapError(error);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
