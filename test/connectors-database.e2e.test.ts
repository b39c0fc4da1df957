/**
 * The database connector against the machine's PostgreSQL (DATABASE_URL) and MariaDB (MARIADB_URL):
 * parameterised and named statements, read-only enforced by the database, row limit, statement
 * timeout, errors surfaced. Each target is skipped, visibly, when its URL is not set.
 */
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startTestPlatform, type TestPlatform } from './support/platform.js';
import { POSTGRES_URL } from './support/stores.js';

const MARIADB_URL = process.env.MARIADB_URL;

interface Target {
  driver: 'postgres' | 'mysql';
  url: string | undefined;
  placeholder: (n: number) => string;
  sleep: string;
}

const TARGETS: Target[] = [
  { driver: 'postgres', url: POSTGRES_URL, placeholder: (n) => `$${n}`, sleep: 'SELECT pg_sleep(3)' },
  { driver: 'mysql', url: MARIADB_URL, placeholder: () => '?', sleep: 'SELECT SLEEP(3)' },
];

for (const target of TARGETS) {
  const suite = target.url ? describe : describe.skip;
  const envName = target.driver === 'postgres' ? 'DATABASE_URL' : 'MARIADB_URL';
  suite(`connectors: database (${target.driver})${target.url ? '' : ` (skipped: ${envName} is not set)`}`, () => {
    let t: TestPlatform;
    const table = `krx_conn_${randomBytes(4).toString('hex')}`;
    const url = new URL(target.url ?? 'postgres://x@127.0.0.1/x');
    let user = decodeURIComponent(url.username);
    let password = decodeURIComponent(url.password) || 'unused-by-trust-auth';
    const p = target.placeholder;

    const connection = async (name: string, config: Record<string, unknown> = {}) => {
      const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
        key: t.adminKey,
        body: {
          connectorId: 'database',
          name,
          config: {
            driver: target.driver,
            host: url.hostname,
            port: Number(url.port),
            database: url.pathname.slice(1),
            ...config,
          },
          authConfig: { type: 'basic', username: user },
          credentials: { password },
        },
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    };
    const query = (id: string, input: unknown) =>
      call(t.baseUrl, 'POST', `/api/v1/connections/${id}/actions/query`, { key: t.adminKey, body: input });

    beforeAll(async () => {
      if (target.driver === 'mysql') {
        // A user with a password: the connector's Basic auth needs one.
        const admin = await mysql.createConnection(target.url!);
        user = 'krx_conn_test';
        password = 'krx-conn-pw';
        await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'%' IDENTIFIED BY '${password}'`);
        await admin.query(`CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY '${password}'`);
        await admin.query(`GRANT ALL ON \`${url.pathname.slice(1)}\`.* TO '${user}'@'%'`);
        await admin.query(`GRANT ALL ON \`${url.pathname.slice(1)}\`.* TO '${user}'@'localhost'`);
        await admin.end();
      }
      t = await startTestPlatform('pglite', { KRYONIX_DANGEROUS_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128' });
    });
    afterAll(async () => {
      if (t) {
        const id = await connection('cleanup');
        await query(id, { sql: `DROP TABLE IF EXISTS ${table}` });
        await t.close();
      }
    });

    it('tests the connection and runs parameterised statements', async () => {
      const id = await connection('db');
      const tested = await call(t.baseUrl, 'POST', `/api/integrations/connections/${id}/test`, {
        key: t.adminKey,
      });
      expect(tested.body, JSON.stringify(tested.body)).toMatchObject({ ok: true, healthStatus: 'healthy' });

      expect(
        (await query(id, { sql: `CREATE TABLE ${table} (id integer primary key, name varchar(100))` }))
          .status,
      ).toBe(200);
      const inserted = await query(id, {
        sql: `INSERT INTO ${table} (id, name) VALUES (${p(1)}, ${p(2)}), (${p(3)}, ${p(4)})`,
        params: [1, 'ada', 2, "x'); DROP TABLE users; --"],
      });
      expect(inserted.body.data.rowCount).toBe(2);
      const rows = await query(id, {
        sql: `SELECT id, name FROM ${table} WHERE id >= ${p(1)} ORDER BY id`,
        params: [1],
      });
      expect(rows.status).toBe(200);
      expect(rows.body.data).toMatchObject({
        rowCount: 2,
        rows: [
          { id: 1, name: 'ada' },
          { id: 2, name: "x'); DROP TABLE users; --" },
        ],
      });
    });

    it('runs a named statement and rejects an unknown one', async () => {
      const id = await connection('named', {
        statements: {
          byId: { sql: `SELECT name FROM ${table} WHERE id = ${p(1)}`, description: 'one row by id' },
        },
      });
      const found = await query(id, { statement: 'byId', params: [1] });
      expect(found.body.data.rows).toEqual([{ name: 'ada' }]);
      const unknown = await query(id, { statement: 'nope' });
      expect(unknown.status).toBe(400);
      expect(unknown.body.code).toBe('KRX_VALIDATION_FAILED');
      expect(unknown.body.statements).toEqual(['byId']);
    });

    it('refuses writes on a read-only connection (the database does) and never runs two statements', async () => {
      const id = await connection('readonly', { readOnly: true });
      const write = await query(id, {
        sql: `INSERT INTO ${table} (id, name) VALUES (${p(1)}, ${p(2)})`,
        params: [3, 'no'],
      });
      expect(write.status).toBe(422);
      expect(write.body.code).toBe('KRX_UPSTREAM_REJECTED');
      expect(write.body.detail).toMatch(/read.only/i);
      const rw = await connection('rw');
      const stacked = await query(rw, { sql: `SELECT 1; DELETE FROM ${table}` });
      expect(stacked.status).toBe(422);
      const count = await query(rw, { sql: `SELECT count(*) AS n FROM ${table}` });
      expect(Number(count.body.data.rows[0].n)).toBe(2);
    });

    it('caps rows at the row limit and stops a statement at its timeout', async () => {
      const id = await connection('limited', { rowLimit: 1, statementTimeoutMs: 300 });
      const capped = await query(id, { sql: `SELECT id FROM ${table} ORDER BY id` });
      expect(capped.body.data).toMatchObject({ rows: [{ id: 1 }], truncated: true });
      const started = Date.now();
      const slow = await query(id, { sql: target.sleep });
      expect(Date.now() - started).toBeLessThan(2500);
      if (target.driver === 'postgres') {
        expect(slow.status).toBe(504);
        expect(slow.body.code).toBe('KRX_UPSTREAM_TIMEOUT');
      } else {
        // MariaDB's max_statement_time aborts SLEEP() by returning 1 instead of an error.
        expect([200, 504]).toContain(slow.status);
      }
    });

    it('surfaces SQL errors clearly and refuses a forbidden host', async () => {
      const id = await connection('errors');
      const bad = await query(id, { sql: 'SELEC nothing' });
      expect(bad.status).toBe(422);
      expect(bad.body.detail).toMatch(/syntax/i);
      const metadata = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
        key: t.adminKey,
        body: {
          connectorId: 'database',
          name: 'metadata-db',
          config: { driver: target.driver, host: '169.254.169.254', database: 'x' },
          authConfig: { type: 'basic', username: 'u' },
          credentials: { password: 'p' },
        },
      });
      const refused = await query(metadata.body.id, { sql: 'SELECT 1' });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('KRX_TARGET_FORBIDDEN');
    });
  });
}
