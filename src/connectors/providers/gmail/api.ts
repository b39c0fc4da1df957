import type { HttpRequest, HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { googleCall } from '../google/api.js';
import { joinUrl, setting } from '../shared.js';

export const GMAIL = 'Gmail';
export const GMAIL_API_URL = 'https://gmail.googleapis.com';

/** `users/{userId}/…` under the Gmail API root; userId `me` (the token's user) unless configured. */
export function gmailCall<T = unknown>(
  context: ActionContext,
  path: string,
  req: Omit<HttpRequest, 'url'> = {},
): Promise<HttpResponse<T>> {
  const userId = encodeURIComponent(setting(context, 'userId', 'me'));
  const url = joinUrl(setting(context, 'apiUrl', GMAIL_API_URL), `gmail/v1/users/${userId}/${path}`);
  return googleCall<T>(context, GMAIL, { ...req, url });
}
