/**
 * MySQL and MariaDB through `mysql2`: prepared statements (`execute`, one statement, parameters bound),
 * each in a transaction (`START TRANSACTION READ ONLY` when asked), with the server's statement time
 * limit set for the session (MariaDB `max_statement_time`, MySQL `max_execution_time`) and a client
 * timeout as a backstop.
 */
import mysql from 'mysql2/promise';
import { KryonixError } from '../../../platform/errors.js';
import type { DatabaseDriver, DriverTarget, StatementResult, StatementRun } from './driver.js';

const TIMEOUT_ERRNOS = new Set([1969, 3024]); // MariaDB ER_STATEMENT_TIMEOUT, MySQL ER_QUERY_TIMEOUT
const AUTH_ERRNOS = new Set([1044, 1045, 1698]);

function mapError(error: unknown): KryonixError {
  const e = error as { code?: string; errno?: number; message?: string };
  const message = `MySQL: ${e.message ?? 'error'}`;
  const extensions = { upstreamError: e.code ?? String(e.errno ?? ''), upstreamMessage: e.message ?? '' };
  if (TIMEOUT_ERRNOS.has(e.errno ?? 0) || e.code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
    return new KryonixError('KRX_UPSTREAM_TIMEOUT', `${message} (statement timeout)`, { extensions });
  }
  if (AUTH_ERRNOS.has(e.errno ?? 0))
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', message, { extensions });
  if (
    ['ECONNREFUSED', 'ETIMEDOUT', 'ENOTFOUND', 'ECONNRESET', 'PROTOCOL_CONNECTION_LOST'].includes(
      e.code ?? '',
    )
  ) {
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', message, {
      extensions: { ...extensions, retryable: true },
    });
  }
  if (e.errno === 1213)
    return new KryonixError('KRX_UPSTREAM_ERROR', message, {
      extensions: { ...extensions, retryable: true },
    });
  return new KryonixError('KRX_UPSTREAM_REJECTED', message, { extensions });
}

export function createMysqlDriver(target: DriverTarget): DatabaseDriver {
  const { settings } = target;
  const pool = mysql.createPool({
    // mysql2 cannot set the TLS server name: with TLS it connects by name (checked, but not pinned).
    host: settings.ssl ? settings.host : target.address,
    port: settings.port ?? 3306,
    database: settings.database,
    user: target.user,
    password: target.password,
    ssl: settings.ssl ? { rejectUnauthorized: true } : undefined,
    connectionLimit: settings.poolSize ?? 5,
    multipleStatements: false,
    connectTimeout: 10_000,
    dateStrings: true,
  });
  let mariadb: boolean | undefined;

  return {
    async run(statement: StatementRun): Promise<StatementResult> {
      let connection: mysql.PoolConnection;
      try {
        connection = await pool.getConnection();
      } catch (error) {
        throw mapError(error);
      }
      try {
        if (mariadb === undefined) {
          const [rows] = await connection.query('SELECT VERSION() AS v');
          mariadb = /mariadb/i.test(String((rows as { v: string }[])[0]?.v));
        }
        if (mariadb)
          await connection.query('SET SESSION max_statement_time = ?', [statement.timeoutMs / 1000]);
        else await connection.query('SET SESSION max_execution_time = ?', [Math.ceil(statement.timeoutMs)]);
        await connection.query(statement.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
        const [result] = await connection.execute({
          sql: statement.sql,
          values: statement.params as never[],
          timeout: statement.timeoutMs + 1000,
        });
        await connection.query('COMMIT');
        if (Array.isArray(result)) {
          const rows = result as Record<string, unknown>[];
          return {
            rows: rows.slice(0, statement.rowLimit),
            rowCount: rows.length,
            truncated: rows.length > statement.rowLimit,
          };
        }
        const header = result as { affectedRows?: number; insertId?: number };
        return {
          rows: header.insertId ? [{ insertId: header.insertId }] : [],
          rowCount: header.affectedRows ?? 0,
          truncated: false,
        };
      } catch (error) {
        await connection.query('ROLLBACK').catch(() => {});
        throw mapError(error);
      } finally {
        connection.release();
      }
    },
    close: () => pool.end(),
  };
}
