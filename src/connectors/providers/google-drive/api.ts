import { drive_v3, type MethodOptions } from '@googleapis/drive';
import type { ActionContext } from '../../sdk.js';
import { sdkCall } from '../google/transport.js';
import { setting } from '../shared.js';

export const DRIVE = 'Google Drive';
export const DRIVE_API_URL = 'https://www.googleapis.com';
export const FILE_FIELDS = 'id, name, mimeType, size, modifiedTime, parents';

// stateless: everything bound to a connection comes with each call's options
const drive = new drive_v3.Drive({});

export function apiRoot(context: ActionContext): string {
  return setting(context, 'apiUrl', DRIVE_API_URL);
}

/** One Drive API call through the connection's transport. */
export function driveCall<R>(
  context: ActionContext,
  send: (api: drive_v3.Drive, options: MethodOptions) => Promise<R>,
): Promise<R> {
  return sdkCall(context, DRIVE, apiRoot(context), drive, send);
}

export const FILE_ID = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,200}$', description: 'File id' };
