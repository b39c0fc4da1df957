import { defineAction } from '../../sdk.js';
import { SALESFORCE_QUERY_OUTPUT, sfCall } from './api.js';

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
    const headers = input.batchSize ? { 'sforce-query-options': `batchSize=${input.batchSize}` } : undefined;
    let response = input.soql
      ? await sfCall<QueryPage>(context, {
          path: input.includeDeleted ? 'queryAll' : 'query',
          query: { q: input.soql },
          headers,
        })
      : await sfCall<QueryPage>(context, { path: input.nextRecordsUrl!, headers });
    const records: unknown[] = [];
    let batches = 0;
    for (;;) {
      batches++;
      records.push(...(response.data.records ?? []));
      const next = response.data.nextRecordsUrl;
      if (response.data.done || !next || records.length >= limit) break;
      response = await sfCall<QueryPage>(context, { path: next, headers });
    }
    return {
      totalSize: response.data.totalSize,
      done: response.data.done,
      records,
      batches,
      ...(!response.data.done && response.data.nextRecordsUrl
        ? { nextRecordsUrl: response.data.nextRecordsUrl }
        : {}),
    };
  },
});
