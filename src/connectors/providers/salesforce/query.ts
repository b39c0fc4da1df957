import type { QueryOptions } from 'jsforce/lib/query.js';
import { defineAction } from '../../sdk.js';
import { SALESFORCE_QUERY_OUTPUT } from './api.js';
import { salesforceConnection } from './connection.js';

interface Input {
  soql?: string;
  nextRecordsUrl?: string;
  limit?: number;
  batchSize?: number;
  includeDeleted?: boolean;
}

interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: unknown[];
}

export const query = defineAction<Input>({
  name: 'query',
  description: 'Run a SOQL query, following nextRecordsUrl until every record (or the limit) is read',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      soql: { type: 'string', minLength: 1, maxLength: 100_000, description: 'The SOQL query' },
      nextRecordsUrl: {
        type: 'string',
        pattern: '^/services/data/v\\d+\\.\\d/query(All)?/[A-Za-z0-9]+-\\d+$',
        description: 'Resume a query from the nextRecordsUrl of an earlier run (instead of soql)',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 1_000_000,
        default: 10_000,
        description:
          'Read no further batch once this many records are in (whole batches are kept, so nextRecordsUrl resumes exactly; use LIMIT in the SOQL for an exact count)',
      },
      batchSize: {
        type: 'integer',
        minimum: 200,
        maximum: 2000,
        description: 'Records per batch (Sforce-Query-Options; Salesforce may send more or fewer)',
      },
      includeDeleted: {
        type: 'boolean',
        default: false,
        description: 'Use queryAll: include deleted and archived records',
      },
    },
    oneOf: [{ required: ['soql'] }, { required: ['nextRecordsUrl'] }],
    additionalProperties: false,
  },
  output: SALESFORCE_QUERY_OUTPUT,
  async run(context, input) {
    const limit = input.limit ?? 10_000;
    const connection = await salesforceConnection(context);
    // one batch per call, never cut: `limit` keeps whole batches (jsforce's maxFetch would cut one
    // and lose the records between the cut and nextRecordsUrl)
    const options: QueryOptions = {
      headers: input.batchSize ? { 'sforce-query-options': `batchSize=${input.batchSize}` } : {},
      autoFetch: false,
      maxFetch: Number.MAX_SAFE_INTEGER,
      scanAll: input.includeDeleted === true,
      responseTarget: 'QueryResult',
    };
    let page: QueryPage = input.soql
      ? await connection.query(input.soql, options)
      : await connection.queryMore(input.nextRecordsUrl!, options);
    const records: unknown[] = [];
    let batches = 0;
    for (;;) {
      batches++;
      records.push(...page.records);
      if (page.done || !page.nextRecordsUrl || records.length >= limit) break;
      page = await connection.queryMore(page.nextRecordsUrl, options);
    }
    return {
      totalSize: page.totalSize,
      done: page.done,
      records,
      batches,
      // jsforce makes it absolute; resumable from any connection to the org as the path alone
      ...(!page.done && page.nextRecordsUrl ? { nextRecordsUrl: new URL(page.nextRecordsUrl).pathname } : {}),
    };
  },
});
