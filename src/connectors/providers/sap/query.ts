import { defineAction } from '../../sdk.js';
import { ENTITY_SET, odata, versionOf } from './api.js';

interface Input {
  entitySet: string;
  filter?: string;
  select?: string[];
  expand?: string[];
  orderby?: string;
  top?: number;
  skip?: number;
  count?: boolean;
  limit?: number;
  nextLink?: string;
}

interface Page {
  items: unknown[];
  next?: string;
  count?: number;
}

/** v2: `{d:{results,__next,__count}}` (or `{d:[…]}`); v4: `{value,@odata.nextLink,@odata.count}`. */
// biome-ignore lint/suspicious/noExplicitAny: two envelopes, read defensively
function readPage(body: any): Page {
  if (body && typeof body === 'object' && 'd' in body) {
    const d = body.d;
    if (Array.isArray(d)) return { items: d };
    return {
      items: Array.isArray(d?.results) ? d.results : [],
      next: typeof d?.__next === 'string' ? d.__next : undefined,
      count: d?.__count !== undefined ? Number(d.__count) : undefined,
    };
  }
  return {
    items: Array.isArray(body?.value) ? body.value : [],
    next: typeof body?.['@odata.nextLink'] === 'string' ? body['@odata.nextLink'] : undefined,
    count: body?.['@odata.count'] !== undefined ? Number(body['@odata.count']) : undefined,
  };
}

const names = {
  type: 'array',
  items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_/.]*$' },
  maxItems: 200,
};

export const query = defineAction<Input>({
  name: 'query',
  description:
    'Read an entity set with $filter/$select/$expand/$orderby/$top/$skip, following __next / @odata.nextLink up to a limit',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      entitySet: ENTITY_SET,
      filter: { type: 'string', maxLength: 8000, description: "$filter, e.g. Country eq 'DE'" },
      select: { ...names, description: '$select: properties to read' },
      expand: { ...names, description: '$expand: navigation properties to read inline' },
      orderby: { type: 'string', maxLength: 1000, description: '$orderby, e.g. CreatedAt desc' },
      top: { type: 'integer', minimum: 0, description: '$top: at most this many entities (client paging)' },
      skip: { type: 'integer', minimum: 0, description: '$skip: leave out the first entities' },
      count: {
        type: 'boolean',
        description: 'Ask for the total count ($inlinecount=allpages on v2, $count=true on v4)',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        default: 10_000,
        description: 'Read no further server page once this many entities are in',
      },
      nextLink: {
        type: 'string',
        maxLength: 8000,
        description: 'Resume from the nextLink of an earlier run (same origin as the service)',
      },
    },
    required: ['entitySet'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      items: { type: 'array', items: { type: 'object' }, description: 'Entities of every page read' },
      pages: { type: 'integer', description: 'Pages read' },
      count: { type: 'integer', description: 'Total count, when asked for' },
      nextLink: { type: 'string', description: 'Where to resume when the limit stopped the walk' },
    },
  },
  async run(context, input) {
    const version = versionOf(context);
    const limit = input.limit ?? 10_000;
    const first = input.nextLink
      ? { method: 'GET' as const, path: input.nextLink }
      : {
          method: 'GET' as const,
          path: input.entitySet,
          query: {
            $filter: input.filter,
            $select: input.select?.join(','),
            $expand: input.expand?.join(','),
            $orderby: input.orderby,
            $top: input.top,
            $skip: input.skip,
            ...(input.count ? (version === '2' ? { $inlinecount: 'allpages' } : { $count: 'true' }) : {}),
          },
        };
    let response = await odata(context, first);
    const items: unknown[] = [];
    let pages = 0;
    let count: number | undefined;
    for (;;) {
      pages++;
      const page = readPage(response.data);
      items.push(...page.items);
      count ??= page.count;
      if (!page.next) return { items, pages, ...(count !== undefined ? { count } : {}) };
      // v4 next links may be relative to the page that carried them.
      const next = new URL(page.next, response.url).toString();
      if (items.length >= limit)
        return { items, pages, ...(count !== undefined ? { count } : {}), nextLink: next };
      response = await odata(context, { method: 'GET', path: next });
    }
  },
});
