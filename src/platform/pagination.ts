/**
 * Keyset pagination shared by every list route: newest first by (created_at, id), the cursor an
 * opaque base64url of the last row's position. Asks for one row more than the page to know if
 * there is a next page.
 */
import { KryonixError } from './errors.js';

export interface Position {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Position | undefined {
  if (!cursor) return undefined;
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso ?? '');
  if (!id || Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new KryonixError('KRX_VALIDATION_FAILED', 'cursor is not a cursor this API returned', {
      extensions: { errors: [{ path: '/cursor', message: 'invalid cursor' }] },
    });
  }
  return { createdAt, id };
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `rows` were fetched with limit + 1. */
export function toPage<R extends Position, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items: items.map(view), nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
