/**
 * Pagination helpers shared by connectors: cursor, offset, page number, RFC 8288 Link header and
 * next-URL in the body. Each is data (`Pagination`); `paginate` follows it until the items run out,
 * the provider says there is no next page, or `maxPages`/`maxItems` is reached.
 */

import { KryonixError } from '../../platform/errors.js';
import type { ConnectorHttp, HttpRequest, HttpResponse, QueryValue } from '../http.js';
import type { JsonSchema } from '../sdk.js';

export type Pagination =
  | { type: 'cursor'; cursorParam?: string; cursorPath: string; limitParam?: string; limit?: number }
  | { type: 'offset'; offsetParam?: string; limitParam?: string; limit?: number }
  | { type: 'page'; pageParam?: string; startPage?: number; sizeParam?: string; size?: number }
  | { type: 'link' }
  | { type: 'next-url'; nextPath: string };

export interface PaginateOptions {
  pagination: Pagination;
  /** Dot path of the item array in each page (`data.items`); empty means the body is the array. */
  itemsPath?: string;
  maxPages?: number;
  maxItems?: number;
}

export interface PaginatedResult {
  items: unknown[];
  pages: number;
  /** True when a limit stopped the walk before the provider ran out of pages. */
  truncated: boolean;
}

export const PAGINATION_SCHEMA: JsonSchema = {
  description: 'How to walk the pages',
  oneOf: [
    {
      type: 'object',
      description: 'A cursor read from the body and sent back as a query parameter',
      properties: {
        type: { const: 'cursor' },
        cursorParam: {
          type: 'string',
          default: 'cursor',
          description: 'Query parameter carrying the cursor',
        },
        cursorPath: { type: 'string', description: 'Dot path of the next cursor in the body' },
        limitParam: { type: 'string', description: 'Query parameter of the page size' },
        limit: { type: 'integer', minimum: 1, description: 'Page size' },
      },
      required: ['type', 'cursorPath'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'offset/limit',
      properties: {
        type: { const: 'offset' },
        offsetParam: { type: 'string', default: 'offset', description: 'Query parameter of the offset' },
        limitParam: { type: 'string', default: 'limit', description: 'Query parameter of the page size' },
        limit: { type: 'integer', minimum: 1, default: 100, description: 'Page size' },
      },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'Page numbers',
      properties: {
        type: { const: 'page' },
        pageParam: { type: 'string', default: 'page', description: 'Query parameter of the page number' },
        startPage: { type: 'integer', minimum: 0, default: 1, description: 'Number of the first page' },
        sizeParam: { type: 'string', description: 'Query parameter of the page size' },
        size: { type: 'integer', minimum: 1, description: 'Page size' },
      },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'The Link header (RFC 8288) rel="next"',
      properties: { type: { const: 'link' } },
      required: ['type'],
      additionalProperties: false,
    },
    {
      type: 'object',
      description: 'A next-page URL in the body (e.g. `next`, `@odata.nextLink`)',
      properties: {
        type: { const: 'next-url' },
        nextPath: { type: 'string', description: 'Dot path of the next URL' },
      },
      required: ['type', 'nextPath'],
      additionalProperties: false,
    },
  ],
};

/** Reads a dot path (`a.b.0.c`); keys containing dots can be reached by the whole key too (`@odata.nextLink`). */
export function readPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  if (value && typeof value === 'object' && path in (value as object))
    return (value as Record<string, unknown>)[path];
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The `rel="next"` target of a Link header. */
export function nextLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2])) return match[1];
  }
  return undefined;
}

export async function paginate(
  http: ConnectorHttp,
  first: HttpRequest,
  options: PaginateOptions,
): Promise<PaginatedResult> {
  const maxPages = options.maxPages ?? 10;
  const maxItems = options.maxItems ?? 10_000;
  const p = options.pagination;
  const items: unknown[] = [];
  let request: HttpRequest = { ...first, query: { ...first.query } };
  const setQuery = (key: string, value: QueryValue) => {
    request = { ...request, query: { ...request.query, [key]: value } };
  };
  let offset = 0;
  let page = p.type === 'page' ? (p.startPage ?? 1) : 0;
  if (p.type === 'cursor' && p.limitParam && p.limit) setQuery(p.limitParam, p.limit);
  if (p.type === 'offset') {
    setQuery(p.limitParam ?? 'limit', p.limit ?? 100);
    setQuery(p.offsetParam ?? 'offset', 0);
  }
  if (p.type === 'page') {
    setQuery(p.pageParam ?? 'page', page);
    if (p.sizeParam && p.size) setQuery(p.sizeParam, p.size);
  }

  for (let pages = 1; ; pages++) {
    const response: HttpResponse = await http(request);
    const found = readPath(response.data, options.itemsPath);
    const pageItems = Array.isArray(found) ? found : [];
    items.push(...pageItems);
    if (items.length >= maxItems) return { items: items.slice(0, maxItems), pages, truncated: true };

    let next: HttpRequest | undefined;
    switch (p.type) {
      case 'cursor': {
        const cursor = readPath(response.data, p.cursorPath);
        if (typeof cursor === 'string' || typeof cursor === 'number') {
          if (cursor !== '')
            next = { ...request, query: { ...request.query, [p.cursorParam ?? 'cursor']: cursor } };
        }
        break;
      }
      case 'offset': {
        const limit = p.limit ?? 100;
        offset += pageItems.length;
        if (pageItems.length >= limit)
          next = { ...request, query: { ...request.query, [p.offsetParam ?? 'offset']: offset } };
        break;
      }
      case 'page': {
        page += 1;
        const full = p.size === undefined ? pageItems.length > 0 : pageItems.length >= p.size;
        if (full) next = { ...request, query: { ...request.query, [p.pageParam ?? 'page']: page } };
        break;
      }
      case 'link': {
        const link = nextLink(response.headers.link);
        if (link) next = { ...request, url: new URL(link, response.url).toString(), query: {} };
        break;
      }
      case 'next-url': {
        const url = readPath(response.data, p.nextPath);
        if (typeof url === 'string' && url !== '')
          next = { ...request, url: new URL(url, response.url).toString(), query: {} };
        break;
      }
    }
    if (!next) return { items, pages, truncated: false };
    // The connection's credentials go with every page: never to another origin than the one answering.
    if (/^https?:/i.test(next.url) && new URL(next.url).origin !== new URL(response.url).origin) {
      throw new KryonixError(
        'KRX_UPSTREAM_REJECTED',
        'the next page is on another origin; not followed with the connection credentials',
      );
    }
    if (pages >= maxPages) return { items, pages, truncated: true };
    request = next;
  }
}
