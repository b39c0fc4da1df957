import { defineAction } from '../../sdk.js';
import { PAGINATION_SCHEMA, type Pagination, paginate } from '../pagination.js';
import { headersField, pathField, queryField, type RestInput } from './shared.js';

export const listAction = defineAction<
  RestInput & { pagination?: Pagination; itemsPath?: string; maxPages?: number; maxItems?: number }
>({
  name: 'list',
  description: "GET every page of a collection, following the connection's (or the input's) pagination",
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      path: pathField,
      query: queryField,
      headers: headersField,
      pagination: PAGINATION_SCHEMA,
      itemsPath: {
        type: 'string',
        description: 'Dot path of the items in each page; empty when the body is the array',
      },
      maxPages: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 10,
        description: 'Stop after this many pages',
      },
      maxItems: {
        type: 'integer',
        minimum: 1,
        maximum: 100000,
        default: 10000,
        description: 'Stop after this many items',
      },
    },
    required: ['path'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      items: { type: 'array', description: 'Items of every page read' },
      pages: { type: 'integer', description: 'Pages read' },
      truncated: { type: 'boolean', description: 'A limit stopped the walk early' },
    },
  },
  async run(context, input) {
    const configured = context.connection.config.pagination as
      | (Pagination & { itemsPath?: string })
      | undefined;
    const pagination = input.pagination ?? configured ?? { type: 'link' };
    return paginate(
      context.http,
      { method: 'GET', url: input.path, query: input.query, headers: input.headers },
      {
        pagination,
        itemsPath: input.itemsPath ?? configured?.itemsPath,
        maxPages: input.maxPages,
        maxItems: input.maxItems,
      },
    );
  },
});
