/** One driver (pool) per connection and settings version; replaced when the connection changes. */
import type { DatabaseDriver, DriverTarget } from './driver.js';
import { createMysqlDriver } from './mysql.js';
import { createPostgresDriver } from './postgres.js';

const drivers = new Map<string, { key: string; driver: DatabaseDriver }>();

export function driverFor(connectionId: string, key: string, target: DriverTarget): DatabaseDriver {
  const existing = drivers.get(connectionId);
  if (existing?.key === key) return existing.driver;
  if (existing) void existing.driver.close().catch(() => {});
  const driver =
    target.settings.driver === 'mysql' ? createMysqlDriver(target) : createPostgresDriver(target);
  drivers.set(connectionId, { key, driver });
  return driver;
}

export async function releaseDriver(connectionId: string): Promise<void> {
  const existing = drivers.get(connectionId);
  drivers.delete(connectionId);
  await existing?.driver.close();
}

export async function closeAllDrivers(): Promise<void> {
  const all = [...drivers.values()];
  drivers.clear();
  await Promise.all(all.map(({ driver }) => driver.close().catch(() => {})));
}
