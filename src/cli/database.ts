/** What the database commands share: the configuration, an open and migrated database, and output. */
import { type Config, loadConfig } from '../config.js';
import { type Database, openDatabase } from '../platform/db/client.js';

export async function withDatabase<T>(work: (db: Database, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await db.migrate();
    return await work(db, config);
  } finally {
    await db.close();
  }
}

/** One tab-separated line; a missing value shows as `-`, and no value can break the line or the columns. */
export function row(cells: readonly (string | null | undefined)[]): string {
  return `${cells.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : cell.replace(/[\t\r\n]/g, ' '))).join('\t')}\n`;
}
