/**
 * The storage backends a test runs against: always the embedded PGlite; PostgreSQL too when
 * DATABASE_URL is set (CI sets it). Without it the PostgreSQL variants are skipped, visibly.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe } from 'vitest';

export type Store = 'pglite' | 'postgres';

export const POSTGRES_URL = process.env.DATABASE_URL;

/** Runs `body` once per store; the PostgreSQL run is `describe.skip`ped (and so reported) without DATABASE_URL. */
export function describeStores(name: string, body: (store: Store) => void): void {
  describe(`${name} [pglite]`, () => body('pglite'));
  const postgres = POSTGRES_URL ? describe : describe.skip;
  postgres(`${name} [postgres]${POSTGRES_URL ? '' : ' (skipped: DATABASE_URL is not set)'}`, () =>
    body('postgres'),
  );
}

export interface StoreLease {
  /** Environment for loadConfig: a fresh data directory, and a fresh database on PostgreSQL. */
  env: Record<string, string>;
  dataDir: string;
  release(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function leaseStore(store: Store): Promise<StoreLease> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-test-'));
  const env: Record<string, string> = {
    KRYONIX_DATA_DIR: dataDir,
    API_LOG_LEVEL: 'silent',
    API_GATEWAY_PORT: '0',
  };
  let database: string | undefined;
  if (store === 'postgres') {
    if (!POSTGRES_URL) throw new Error('DATABASE_URL is required for PostgreSQL tests');
    database = `krx_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    env.DATABASE_URL = url.toString();
  }
  return {
    env,
    dataDir,
    async release() {
      if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
