/**
 * The database: one `pg` pool for both modes (PostgreSQL, or the embedded PGlite behind its socket),
 * drizzle on top, migrations, and the two ways in:
 * - `withTenant(tenantId, tx => ...)`: a transaction as the RLS-bound role with the tenant set, the
 *   only way tenant data is read or written;
 * - `withPlatform(tx => ...)`: a transaction as the owner, for platform work that precedes or spans
 *   tenants (authenticating a key, the connector catalog, managing tenants).
 */
import { fileURLToPath } from 'node:url';
import type { SQL } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Config } from '../../config.js';
import { embeddedPoolOptions, openEmbeddedDataDir } from './embedded.js';
import * as schema from './schema.js';

export type Tx = NodePgDatabase<typeof schema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../drizzle', import.meta.url));
/** Any constant: serialises migrations across nodes starting together. */
const MIGRATION_LOCK_KEY = 727_271_001;

export interface Database {
  readonly mode: 'embedded' | 'postgres';
  readonly pool: pg.Pool;
  withTenant<T>(tenantId: string, work: (tx: Tx) => Promise<T>): Promise<T>;
  withPlatform<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * One statement in a transaction of its own as the RLS-bound role with the tenant set, like
   * `withTenant(tenantId, tx => tx.execute(statement))`, in ONE round trip instead of three. For the
   * group-commit writers, whose callers wait on the commit: each round trip also waits for the event
   * loop to come back to it, which under load was most of a batch's time.
   */
  tenantStatement<Row extends Record<string, unknown>>(
    tenantId: string,
    statement: SQL,
  ): Promise<pg.QueryResult<Row>>;
  migrate(): Promise<void>;
  /** True when the database answers and every migration has been applied. */
  isReady(): Promise<boolean>;
  close(): Promise<void>;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const DOLLAR_TAG = '$krx$';

/**
 * Renders a statement with its parameters inlined as literals, so that it can travel in one
 * multi-statement simple query (which takes no parameters). Strings are dollar-quoted, or else go
 * through pg's escapeLiteral; both are right whatever standard_conforming_strings says. Numbers,
 * booleans and null go as they are.
 */
class InlineLiteralDialect extends PgDialect {
  override escapeString(text: string): string {
    // Dollar quoting takes the text as it is (no per-character escaping of what are often kilobytes of
    // JSON), valid unless the tag could close early: inside the text, or formed by its end and the tag.
    if (text.includes(DOLLAR_TAG) || text.endsWith(DOLLAR_TAG.slice(0, -1))) return pg.escapeLiteral(text);
    return `${DOLLAR_TAG}${text}${DOLLAR_TAG}`;
  }
}
const inlineDialect = new InlineLiteralDialect();

export function inlineStatement(statement: SQL): string {
  return inlineDialect.sqlToQuery(statement.inlineParams()).sql;
}

export interface OpenOptions {
  /**
   * A cluster worker: the embedded database is already served by the primary process on this Unix
   * socket directory, so connect to it instead of starting (and locking) one.
   */
  embeddedSocketDir?: string;
}

export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  options: OpenOptions = {},
): Promise<Database> {
  if (!config.databaseUrl && options.embeddedSocketDir) {
    // The embedded server lets several clients share its one session (see embedded-worker.ts); one
    // connection per process, as for the server's own.
    const pool = new pg.Pool({ ...embeddedPoolOptions(options.embeddedSocketDir), max: 1 });
    return createDatabase('embedded', pool, async () => {});
  }
  if (config.databaseUrl) {
    return createDatabase(
      'postgres',
      new pg.Pool({ connectionString: config.databaseUrl, max: 10 }),
      async () => {},
    );
  }
  const embedded = await openEmbeddedDataDir(config.dataDir);
  // One connection, matching the embedded server's single session.
  const pool = new pg.Pool({ ...embedded.database.poolOptions, max: 1 });
  return createDatabase('embedded', pool, () => embedded.close());
}

function createDatabase(mode: Database['mode'], pool: pg.Pool, afterClose: () => Promise<void>): Database {
  // An idle client's network error must not crash the process; the next query reports it.
  pool.on('error', () => {});

  // One drizzle instance per pooled connection: building one walks the whole schema (about 0.25 ms
  // here), which per transaction showed in the gateway's profile (batched execution-record writes).
  const instances = new WeakMap<pg.PoolClient, Tx>();
  const drizzleOf = (client: pg.PoolClient): Tx => {
    let tx = instances.get(client);
    if (!tx) {
      tx = drizzle(client, { schema });
      instances.set(client, tx);
    }
    return tx;
  };

  const tenantPreamble = (tenantId: string) => {
    // Interpolated (one round trip for the whole preamble), so it must be a bare UUID.
    if (!isUuid(tenantId)) throw new Error('withTenant needs a tenant UUID');
    return `BEGIN; SET LOCAL ROLE kryonix_app; SELECT set_config('app.tenant_id', '${tenantId}', true)`;
  };

  async function transaction<T>(preamble: string, work: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query(preamble);
      const result = await work(drizzleOf(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  let migrated = false;
  return {
    mode,
    pool,
    withTenant(tenantId, work) {
      return transaction(tenantPreamble(tenantId), work);
    },
    async tenantStatement<Row extends Record<string, unknown>>(tenantId: string, statement: SQL) {
      const text = `${tenantPreamble(tenantId)}; ${inlineStatement(statement)}; COMMIT`;
      const client = await pool.connect();
      try {
        // One result per statement: BEGIN, SET, set_config, ours, COMMIT.
        const results = (await client.query(text)) as unknown as pg.QueryResult<Row>[];
        return results[3];
      } catch (error) {
        // The rest of the text was skipped and the transaction is left aborted.
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    withPlatform(work) {
      return transaction('BEGIN', work);
    },
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
        migrated = true;
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    async isReady() {
      try {
        await pool.query('SELECT 1');
        return migrated;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
      await afterClose();
    },
  };
}
