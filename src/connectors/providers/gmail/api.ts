import { gmail_v1, type MethodOptions } from '@googleapis/gmail';
import type { ActionContext } from '../../sdk.js';
import { sdkCall } from '../google/transport.js';
import { setting } from '../shared.js';

export const GMAIL = 'Gmail';
export const GMAIL_API_URL = 'https://gmail.googleapis.com';

// stateless: everything bound to a connection comes with each call's options
const gmail = new gmail_v1.Gmail({});

/** The mailbox: `me` (the token's user) unless configured. */
export function mailbox(context: ActionContext): string {
  return setting(context, 'userId', 'me');
}

/** One Gmail API call through the connection's transport. */
export function gmailCall<R>(
  context: ActionContext,
  send: (api: gmail_v1.Gmail, options: MethodOptions) => Promise<R>,
): Promise<R> {
  return sdkCall(context, GMAIL, setting(context, 'apiUrl', GMAIL_API_URL), gmail, send);
}
