/**
 * SAP OData (v2 and v4) over `context.http`. Reads unwrap `d.results` / `d` (v2) and `value` (v4) and
 * follow `__next` / `@odata.nextLink` on the service's origin. Writes first fetch a CSRF token
 * (`x-csrf-token: Fetch` on the service root, HEAD then GET, trailing slash first like SAP's SDK) and
 * echo it with the session cookies it came with; a 403 `x-csrf-token: Required` refetches once.
 * `sap-client` goes on every request. Both error envelopes are read: v2
 * `{error:{code,message:{value},innererror:{errordetails}}}` and v4 `{error:{code,message,details}}`.
 */
import { KryonixError } from '../../../platform/errors.js';
import type { HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { missingSetting, nextPageUrl, providerError } from '../shared.js';

export const SAP = 'SAP OData';

export type ODataVersion = '2' | '4';

export function versionOf(context: ActionContext): ODataVersion {
  return context.connection.config.version === '4' ? '4' : '2';
}

export function serviceRoot(context: ActionContext): string {
  const root = context.connection.config.serviceUrl;
  if (typeof root !== 'string' || root === '')
    throw missingSetting('the SAP connection needs config.serviceUrl');
  return root.endsWith('/') ? root : `${root}/`;
}

/** OData query strings are percent-encoded (a `+` is not a space to every server). */
export function withQuery(url: string, query: Record<string, string | number | boolean | undefined>): string {
  const parts = Object.entries(query)
    .filter(([, value]) => value !== undefined && value !== '')
    .map(
      ([key, value]) =>
        `${encodeURIComponent(key).replace(/%24/g, '$')}=${encodeURIComponent(String(value))}`,
    );
  if (parts.length === 0) return url;
  return `${url}${url.includes('?') ? '&' : '?'}${parts.join('&')}`;
}

/** Adds `sap-client` (and `$format=json` on v2 reads) unless the URL has them already (next links do). */
function decorate(context: ActionContext, url: string, read: boolean): string {
  const parsed = new URL(url);
  const extra: Record<string, string | undefined> = {};
  const client = context.connection.config.sapClient;
  if (typeof client === 'string' && !parsed.searchParams.has('sap-client')) extra['sap-client'] = client;
  if (read && versionOf(context) === '2' && !parsed.searchParams.has('$format')) extra.$format = 'json';
  return withQuery(url, extra);
}

export function describeSapError(status: number, body: unknown): { message: string; code?: string } {
  const error = (
    body as {
      error?: {
        code?: unknown;
        message?: string | { value?: string };
        details?: Array<{ message?: string }>;
        innererror?: { errordetails?: Array<{ message?: string }> };
      };
    } | null
  )?.error;
  if (error && typeof error === 'object') {
    const message =
      typeof error.message === 'string' ? error.message : String(error.message?.value ?? 'error');
    const details: Array<{ message?: string }> = error.details ?? error.innererror?.errordetails ?? [];
    const extra = details
      .map((d) => d?.message)
      .filter((m): m is string => typeof m === 'string' && m !== message)
      .slice(0, 3);
    return {
      code: error.code !== undefined ? String(error.code) : undefined,
      message: extra.length > 0 ? `${message} (${extra.join('; ')})` : message,
    };
  }
  if (typeof body === 'string' && body.trim() !== '') return { message: body.trim().slice(0, 300) };
  return { message: `HTTP ${status}` };
}

// --- CSRF: one token (with its session cookies) per connection, fetched before the first write ---

interface CsrfSession {
  token: string;
  cookies: string;
}
const csrfSessions = new Map<string, CsrfSession>();

export function forgetCsrf(connectionId: string): void {
  csrfSessions.delete(connectionId);
}

/** `name=value` pairs of Set-Cookie headers (joined with ", " by the HTTP layer; dates contain commas too). */
export function cookiePairs(setCookie: string | undefined): string {
  if (!setCookie) return '';
  return setCookie
    .split(/,\s*(?=[^;,=\s]+=)/)
    .map((cookie) => cookie.split(';')[0].trim())
    .filter((pair) => pair.includes('='))
    .join('; ');
}

async function fetchCsrf(context: ActionContext): Promise<CsrfSession> {
  const root = serviceRoot(context);
  const attempts: Array<[string, string]> = [
    ['HEAD', root],
    ['HEAD', root.replace(/\/$/, '')],
    ['GET', root],
  ];
  for (const [method, url] of attempts) {
    const response = await context.http({
      method,
      url: decorate(context, url, method === 'GET'),
      headers: { 'x-csrf-token': 'Fetch', 'content-length': '0' },
      responseType: 'text',
      acceptStatuses: [404, 405, 501],
    });
    const token = response.headers['x-csrf-token'];
    if (response.status < 300 && token && token.toLowerCase() !== 'required') {
      const session = { token, cookies: cookiePairs(response.headers['set-cookie']) };
      csrfSessions.set(context.connection.id, session);
      return session;
    }
  }
  throw new KryonixError('KRX_UPSTREAM_REJECTED', `${SAP} sent no x-csrf-token for the service root`, {
    extensions: { upstreamError: 'csrf_token_missing' },
  });
}

function sapFailure(response: HttpResponse): KryonixError {
  const description = describeSapError(response.status, response.data);
  return providerError(SAP, {
    status: response.status,
    ...description,
    kind: response.status === 403 || response.status === 401 ? 'auth' : 'user',
  });
}

export interface ODataRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'MERGE' | 'DELETE';
  /** Relative to the service root, or an absolute next link on the same origin. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  responseType?: 'auto' | 'text';
}

export async function odata<T = unknown>(
  context: ActionContext,
  req: ODataRequest,
): Promise<HttpResponse<T>> {
  const root = serviceRoot(context);
  const url = decorate(
    context,
    withQuery(nextPageUrl(SAP, req.path, root), req.query ?? {}),
    req.method === 'GET',
  );
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  if (req.method === 'GET') {
    return context.http<T>({ method: 'GET', url, headers, responseType: req.responseType });
  }
  const csrfEnabled = context.connection.config.csrf !== false;
  for (let attempt = 1; ; attempt++) {
    const session = csrfEnabled
      ? (csrfSessions.get(context.connection.id) ?? (await fetchCsrf(context)))
      : undefined;
    const response = await context.http<T>({
      method: req.method,
      url,
      body: req.body,
      headers: {
        ...headers,
        ...(session ? { 'x-csrf-token': session.token } : {}),
        ...(session?.cookies ? { cookie: session.cookies } : {}),
      },
      acceptStatuses: [403],
    });
    if (response.status !== 403) return response;
    const required = response.headers['x-csrf-token']?.toLowerCase() === 'required';
    if (required && csrfEnabled && attempt === 1) {
      forgetCsrf(context.connection.id); // expired or bound to a session that ended: fetch a new one, once
      continue;
    }
    if (required)
      throw providerError(SAP, {
        status: 403,
        code: 'csrf_token_required',
        message: 'the CSRF token was refused (x-csrf-token: Required) after a fresh fetch',
        kind: 'auth',
      });
    throw sapFailure(response);
  }
}

/** Entity set names go into the URL path. */
export const ENTITY_SET = {
  type: 'string',
  pattern: '^[A-Za-z_][A-Za-z0-9_.]{0,127}$',
  description: 'Entity set name (A_BusinessPartner, Products)',
};

export const KEY = {
  description:
    "Key: one value (a string is quoted, a number is not) or an object of named key values; { raw } passes an OData key predicate as is (guid'…', datetime'…')",
  oneOf: [
    { type: 'string', maxLength: 500 },
    { type: 'number' },
    {
      type: 'object',
      properties: { raw: { type: 'string', minLength: 1, maxLength: 1000, pattern: '^[^/?#]+$' } },
      required: ['raw'],
      additionalProperties: false,
    },
    {
      type: 'object',
      minProperties: 1,
      maxProperties: 20,
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
  ],
};

export type KeyInput = string | number | { raw: string } | Record<string, string | number | boolean>;

const literal = (value: string | number | boolean) =>
  typeof value === 'string' ? `'${encodeURIComponent(value.replace(/'/g, "''"))}'` : String(value);

/** `EntitySet('1000')`, `EntitySet(Order='1',Item=10)`. */
export function entityPath(entitySet: string, key: KeyInput): string {
  if (typeof key === 'string' || typeof key === 'number') return `${entitySet}(${literal(key)})`;
  if ('raw' in key && typeof key.raw === 'string' && Object.keys(key).length === 1)
    return `${entitySet}(${encodeURI(key.raw)})`;
  const parts = Object.entries(key).map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw missingSetting(`key property ${name} is not a valid name`);
    return `${name}=${literal(value as string | number | boolean)}`;
  });
  return `${entitySet}(${parts.join(',')})`;
}

/** The entity of a single-entity answer: `d` (v2, without `__metadata` kept as is) or the body (v4). */
export function unwrapEntity(version: ODataVersion, body: unknown): unknown {
  if (version === '2' && body && typeof body === 'object' && 'd' in body) return (body as { d: unknown }).d;
  return body;
}
