/**
 * Keyset pagination shared by every list route: newest first by (time, id), the cursor an opaque
 * base64url of the last row's position. Asks for one row more than the page to know if there is a
 * next page.
 *
 * The position's time is the row's exact timestamp as Postgres text, microseconds included, read by
 * the query itself (`keyset(...).at`): a JavaScript Date keeps milliseconds only, and a cursor built
 * from one skipped every row that shared the last row's millisecond but not its microsecond.
 */
import { type AnyColumn, asc, desc, type SQL, sql } from 'drizzle-orm';
import { KryonixError } from './errors.js';

export interface Position {
  /** The row's time as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds): exactly as stored. */
  cursorAt: string;
  id: string;
}

const EXACT_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.cursorAt}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (!cursor) return undefined;
  const [cursorAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (
    extra !== undefined ||
    !cursorAt ||
    !EXACT_TIME.test(cursorAt) ||
    Number.isNaN(Date.parse(cursorAt)) ||
    !id ||
    !UUID.test(id)
  ) {
    throw invalidCursor();
  }
  return { cursorAt, id };
}

function invalidCursor(): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', 'cursor is not a cursor this API returned', {
    extensions: { errors: [{ path: '/querystring/cursor', message: 'invalid cursor' }] },
  });
}

/** A column's exact time as text in the cursor's format, for selecting as `cursorAt`. */
export function exactTime(time: AnyColumn): SQL<string> {
  return sql<string>`to_char(${time} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/**
 * The pieces of one keyset query over (time, id), newest first: select `at` as `cursorAt`, add
 * `where` to the filters (undefined on the first page) and order by `orderBy`.
 */
export function keyset(time: AnyColumn, id: AnyColumn, cursor: string | undefined) {
  const before = decodeCursor(cursor);
  return {
    at: exactTime(time),
    where: before ? sql`(${time}, ${id}) < (${before.cursorAt}::timestamptz, ${before.id}::uuid)` : undefined,
    orderBy: [desc(time), desc(id)] as const,
  };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `rows` were fetched with limit + 1, each with its `cursorAt` (see `keyset`). */
export function toPage<R extends Position, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}

/**
 * Lists read in name order (the connector catalog, a connection's endpoints): ascending by
 * (name, id), the cursor the last row's name and id.
 */
export function byName(name: AnyColumn, id: AnyColumn, cursor: string | undefined) {
  const after = decodeNameCursor(cursor);
  return {
    where: after ? sql`(${name}, ${id}) > (${after.name}, ${after.id}::uuid)` : undefined,
    orderBy: [asc(name), asc(id)] as const,
  };
}

function decodeNameCursor(cursor: string | undefined): { name: string; id: string } | undefined {
  if (!cursor) return undefined;
  let position: unknown;
  try {
    position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    position = undefined;
  }
  if (
    !Array.isArray(position) ||
    position.length !== 2 ||
    typeof position[0] !== 'string' ||
    typeof position[1] !== 'string' ||
    !UUID.test(position[1])
  ) {
    throw invalidCursor();
  }
  return { name: position[0], id: position[1] };
}

/** `rows` were fetched with limit + 1 in `byName` order; `nameOf` reads the ordering name of a row. */
export function toNamePage<R extends { id: string }, T>(
  rows: R[],
  limit: number,
  nameOf: (row: R) => string,
  view: (row: R) => T,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? Buffer.from(JSON.stringify([nameOf(last), last.id])).toString('base64url')
      : null;
  return { items: items.map(view), nextCursor };
}
