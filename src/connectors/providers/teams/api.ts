/**
 * Microsoft Teams: Workflows webhooks (Adaptive Card envelope), legacy Office 365 connector webhooks
 * (MessageCard; they answer 200 `1`, and also 200 with an error text, e.g. when throttled), and
 * Microsoft Graph with an app-only token (MSAL's client credentials grant at login.microsoftonline.com).
 * Graph errors are `{error:{code,message,innerError:{date,request-id}}}`; throttling is 429 +
 * Retry-After.
 */
import type { HttpRequest, HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { joinUrl, missingSetting, nextPageUrl, providerError, setting } from '../shared.js';
import { graphToken } from './entra.js';

export const TEAMS = 'Microsoft Teams';
export const GRAPH_URL = 'https://graph.microsoft.com';

interface GraphErrorBody {
  error?: { code?: string; message?: string; innerError?: Record<string, unknown> };
}

export function describeTeamsError(status: number, raw: unknown): { message: string; code?: string } {
  let body = raw;
  if (typeof raw === 'string' && /^\s*\{/.test(raw)) {
    // webhook answers are read as text: their errors are still Graph-style JSON
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
  }
  const error = (body as GraphErrorBody | null)?.error;
  if (error && typeof error === 'object') {
    const requestId = error.innerError?.['request-id'];
    return {
      code: error.code,
      message: `${error.message ?? error.code ?? status}${requestId ? ` (request-id ${requestId})` : ''}`,
    };
  }
  if (typeof body === 'string' && body.trim() !== '') return { message: body.trim().slice(0, 300) };
  return { message: `HTTP ${status}` };
}

/**
 * Graph `v1.0/…` (or an absolute next link on Graph's origin) with the app-only token from MSAL
 * (`entra.ts`); a 401 gets a new token once and the request is sent again, a second 401 is final.
 */
export async function graphCall<T = unknown>(
  context: ActionContext,
  path: string,
  req: Omit<HttpRequest, 'url'> = {},
): Promise<HttpResponse<T>> {
  if (context.auth.method !== 'oauth2_client_credentials')
    throw missingSetting('Microsoft Graph calls need auth type oauth2_client_credentials (an Entra ID app)');
  const root = setting(context, 'graphUrl', GRAPH_URL);
  const url = /^https?:\/\//.test(path) ? nextPageUrl(TEAMS, path, root) : joinUrl(root, `v1.0/${path}`);
  const send = (token: string, acceptStatuses = req.acceptStatuses) =>
    context.http<T>({
      ...req,
      url,
      auth: false,
      headers: { ...req.headers, authorization: `Bearer ${token}` },
      acceptStatuses,
    });
  const token = await graphToken(context);
  const first = await send(token, [...(req.acceptStatuses ?? []), 401]);
  if (first.status !== 401) return first;
  return send(await graphToken(context, token));
}

/** Reads every page of a Graph collection (`value`, `@odata.nextLink`) up to `limit`. */
export async function graphList(
  context: ActionContext,
  path: string,
  query: HttpRequest['query'],
  limit: number,
) {
  const items: unknown[] = [];
  let response = await graphCall<{ value?: unknown[]; '@odata.nextLink'?: string }>(context, path, { query });
  for (;;) {
    items.push(...(response.data.value ?? []));
    const next = response.data['@odata.nextLink'];
    if (!next || items.length >= limit) return { items, ...(next ? { nextLink: next } : {}) };
    response = await graphCall(context, next);
  }
}

export function webhookUrl(context: ActionContext, field: 'workflowUrl' | 'connectorUrl'): string {
  const url = context.credentials[field];
  if (typeof url !== 'string' || url === '')
    throw missingSetting(`this Teams connection has no ${field} (a secret in credentials)`);
  return url;
}

/** The legacy connector says 200 and puts failures in the body: anything but `1` is one. */
export function connectorFailure(status: number, text: string) {
  const throttled = /HTTP error 429/.test(text);
  return providerError(TEAMS, {
    status,
    code: throttled ? 'throttled' : 'webhook_error',
    message: text.trim().slice(0, 300) || 'the connector webhook did not answer 1',
    kind: throttled ? 'rate' : 'user',
    ...(throttled ? { retryAfterMs: 1000 } : {}),
  });
}
