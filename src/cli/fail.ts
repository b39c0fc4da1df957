/**
 * How a `kryonix` command ends on an error: a failure the user can act on (bad input, bad
 * configuration, a database it cannot reach, a conflict) is one line naming what is wrong; anything
 * else is a bug and keeps its stack.
 */
import { ConfigError, maskUrl } from '../config.js';
import { MasterKeyError } from '../platform/crypto.js';
import { DataDirLockedError } from '../platform/db/lock.js';
import { KryonixError } from '../platform/errors.js';

/** Connection refusals and the server's "who are you / which database" answers (pg SQLSTATE). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH']);
const REFUSED = new Set(['28000', '28P01', '3D000']);

function databaseProblem(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !(UNREACHABLE.has(code) || REFUSED.has(code))) return undefined;
  const url = process.env.DATABASE_URL;
  const where = url ? `DATABASE_URL (${maskUrl(url)})` : 'the embedded database';
  return `cannot use ${where}: ${(error as Error).message}`;
}

/** The one line for an error the user can act on, or undefined for a bug. */
export function userMessage(error: unknown): string | undefined {
  if (error instanceof ConfigError || error instanceof MasterKeyError || error instanceof DataDirLockedError)
    return error.message;
  if (error instanceof KryonixError && error.errorClass === 'user') return error.message;
  return databaseProblem(error);
}

export function fail(error: unknown): never {
  const line = userMessage(error);
  process.stderr.write(
    `kryonix: ${line ?? (error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  process.exit(1);
}
