import type { HttpRequest, HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { googleCall } from '../google/api.js';
import { joinUrl, nextPageUrl, setting } from '../shared.js';

export const DRIVE = 'Google Drive';
export const DRIVE_API_URL = 'https://www.googleapis.com';
export const FILE_FIELDS = 'id, name, mimeType, size, modifiedTime, parents';

export function apiRoot(context: ActionContext): string {
  return setting(context, 'apiUrl', DRIVE_API_URL);
}

/** `path` under the API root (`drive/v3/files`, `upload/drive/v3/files`), or an absolute URL on its origin. */
export function driveCall<T = unknown>(
  context: ActionContext,
  path: string,
  req: Omit<HttpRequest, 'url'> = {},
): Promise<HttpResponse<T>> {
  const root = apiRoot(context);
  const url = /^https?:\/\//.test(path) ? nextPageUrl(DRIVE, path, root) : joinUrl(root, path);
  return googleCall<T>(context, DRIVE, { ...req, url });
}

export const FILE_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'File id' };
export const SHARED_DRIVES = {
  type: 'boolean',
  default: true,
  description: 'Also work on shared drives (supportsAllDrives)',
};
