import type { drive_v3 } from '@googleapis/drive';
import { defineAction } from '../../sdk.js';
import { driveCall, FILE_FIELDS } from './api.js';

interface Input {
  q?: string;
  fields?: string;
  orderBy?: string;
  pageSize?: number;
  limit?: number;
  pageToken?: string;
  corpora?: 'user' | 'drive' | 'domain' | 'allDrives';
  driveId?: string;
  includeSharedDrives?: boolean;
}

export const listFiles = defineAction<Input>({
  name: 'listFiles',
  description: 'List files matching a Drive query, following nextPageToken until the limit',
  classification: 'read',
  idempotent: true,
  input: {
    type: 'object',
    properties: {
      q: {
        type: 'string',
        maxLength: 4000,
        description: "Drive query, e.g. 'FOLDER_ID' in parents and trashed = false",
      },
      fields: {
        type: 'string',
        maxLength: 2000,
        description: `Fields of each file (default ${FILE_FIELDS}); nextPageToken is always asked for`,
      },
      orderBy: { type: 'string', maxLength: 200, description: 'e.g. modifiedTime desc,name' },
      pageSize: {
        type: 'integer',
        minimum: 1,
        maximum: 1000,
        default: 100,
        description: 'Files per call (Drive allows 1000)',
      },
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: 100_000,
        default: 1000,
        description: 'Most files collected over all pages',
      },
      pageToken: {
        type: 'string',
        maxLength: 1000,
        description: 'Resume from a nextPageToken of an earlier run',
      },
      corpora: { enum: ['user', 'drive', 'domain', 'allDrives'], description: 'Where to search' },
      driveId: { type: 'string', maxLength: 200, description: 'Shared drive to search (corpora drive)' },
      includeSharedDrives: { type: 'boolean', default: true, description: 'Include items of shared drives' },
    },
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      files: { type: 'array', items: { type: 'object' }, description: 'Files, with the fields asked for' },
      pages: { type: 'integer', description: 'Calls made' },
      incompleteSearch: { type: 'boolean', description: 'Drive could not search every corpus' },
      nextPageToken: { type: 'string', description: 'Where to resume when the limit stopped the walk' },
    },
  },
  async run(context, input) {
    const limit = input.limit ?? 1000;
    const shared = input.includeSharedDrives ?? true;
    const files: drive_v3.Schema$File[] = [];
    let pageToken = input.pageToken;
    let pages = 0;
    let incomplete = false;
    do {
      const response = await driveCall(context, (drive, options) =>
        drive.files.list(
          {
            q: input.q,
            fields: `nextPageToken, incompleteSearch, files(${input.fields ?? FILE_FIELDS})`,
            orderBy: input.orderBy,
            pageSize: Math.min(input.pageSize ?? 100, 1000, limit - files.length),
            pageToken,
            corpora: input.corpora,
            driveId: input.driveId,
            supportsAllDrives: shared,
            includeItemsFromAllDrives: shared,
          },
          options,
        ),
      );
      pages++;
      files.push(...(response.data.files ?? []));
      incomplete ||= response.data.incompleteSearch === true;
      pageToken = response.data.nextPageToken ?? undefined;
    } while (pageToken && files.length < limit);
    return { files, pages, incompleteSearch: incomplete, ...(pageToken ? { nextPageToken: pageToken } : {}) };
  },
});
