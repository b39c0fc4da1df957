import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { KryonixError } from '../../platform/errors.js';
import type { TransformLimits } from '../limits.js';
import type { JsonValue } from '../types.js';
import { type ConvertOptions, formatInvalid, type TextCodec } from './codec.js';

/*
 * CSV is a list of rows. With a header row (the default) each row is an object keyed by the header;
 * without, each row is an array of cells. Cells are strings unless `parseValues` asks for numbers and
 * booleans. Writing: objects and arrays inside a cell are written as JSON text, null as an empty cell.
 */

function decode(text: string, options: ConvertOptions, limits: TransformLimits): JsonValue {
  let rows: JsonValue[];
  try {
    rows = parse(text, {
      columns: options.header ?? true,
      delimiter: options.delimiter ?? ',',
      quote: options.quote ?? '"',
      // A quote inside a quoted field is doubled, whatever the quote character (RFC 4180's rule).
      escape: options.quote ?? '"',
      bom: true,
      skip_empty_lines: true,
      cast: options.parseValues ?? false,
      // One past the bound, so "too many" is distinguishable from "exactly the bound".
      to: limits.maxCsvRows + 1,
    }) as JsonValue[];
  } catch (error) {
    throw formatInvalid('csv', (error as Error).message, error);
  }
  if (rows.length > limits.maxCsvRows) {
    throw new KryonixError('KRX_LIMIT_EXCEEDED', `The CSV has more than ${limits.maxCsvRows} rows`);
  }
  return rows;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function encode(value: JsonValue, options: ConvertOptions): string {
  if (!Array.isArray(value)) throw formatInvalid('csv', 'only a list of rows can be written as CSV');
  const header = options.header ?? true;
  const quote = options.quote ?? '"';
  const common = { delimiter: options.delimiter ?? ',', quote, escape: quote, quoted_empty: true };
  if (!header) {
    const rows = value.map((row) => (Array.isArray(row) ? row : [row]).map(cell));
    return stringify(rows, common);
  }
  if (!value.every((row) => row !== null && typeof row === 'object' && !Array.isArray(row))) {
    throw formatInvalid('csv', 'with a header row, every row must be an object');
  }
  const objects = value as Array<Record<string, JsonValue>>;
  const columns = [...new Set(objects.flatMap((row) => Object.keys(row)))];
  const rows = objects.map((row) => columns.map((column) => cell(row[column])));
  return stringify(rows, { ...common, header: true, columns });
}

export const csvCodec: TextCodec = { decode, encode };
