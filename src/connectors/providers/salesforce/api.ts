/**
 * The Salesforce REST API over `context.http` (jsforce builds the calls, `connection.ts` sends them
 * here). The token endpoint's `instance_url` (kept with the cached token) is where the API lives,
 * unless the connection pins `instanceUrl`; calls stay on that origin, under the pinned API version.
 * Errors are arrays `[{message, errorCode, fields?}]`, sorted into kinds by `errorCode`. A 401
 * (INVALID_SESSION_ID) gets one new token and one retry from `context.http`: Salesforce sends no
 * `expires_in`.
 */
import { KryonixError } from '../../../platform/errors.js';
import type { HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { type FailureKind, kindOf, nextPageUrl, providerError, setting } from '../shared.js';
import { block, recordUsage, waitMs } from './limits.js';

export const SALESFORCE = 'Salesforce';
export const DEFAULT_API_VERSION = '62.0';
/** How long an org out of API calls is left alone (the limit is a rolling 24 hours). */
const DEFAULT_LIMIT_BACKOFF_SECONDS = 300;

const ERROR_KINDS: Partial<Record<FailureKind, readonly string[]>> = {
  auth: [
    'INVALID_SESSION_ID',
    'INVALID_AUTH_HEADER',
    'API_DISABLED_FOR_ORG',
    'API_CURRENTLY_DISABLED',
    'INSUFFICIENT_ACCESS',
    'INSUFFICIENT_ACCESS_OR_READONLY',
    'INVALID_LOGIN',
  ],
  rate: ['REQUEST_LIMIT_EXCEEDED', 'TXN_SECURITY_METERING_ERROR'],
  retryable: ['SERVER_UNAVAILABLE', 'UNABLE_TO_LOCK_ROW', 'REQUEST_RUNNING_TOO_LONG'],
};

interface SalesforceErrorItem {
  message?: string;
  errorCode?: string;
  fields?: string[];
}

/** The first error of Salesforce's array envelope (or of the OAuth `{error, error_description}` one). */
export function describeSalesforceError(
  status: number,
  body: unknown,
): { message: string; code?: string; fields?: string[] } {
  const first = (Array.isArray(body) ? body[0] : body) as SalesforceErrorItem & {
    error?: string;
    error_description?: string;
  };
  if (first && typeof first === 'object') {
    if (typeof first.errorCode === 'string') {
      const more = Array.isArray(body) && body.length > 1 ? ` (and ${body.length - 1} more)` : '';
      return {
        code: first.errorCode,
        message: `${first.message ?? first.errorCode}${more}`,
        ...(Array.isArray(first.fields) && first.fields.length > 0 ? { fields: first.fields } : {}),
      };
    }
    if (typeof first.error === 'string')
      return { code: first.error, message: first.error_description ?? first.error };
  }
  if (typeof body === 'string' && body.trim() !== '') return { message: body.trim().slice(0, 300) };
  return { message: `HTTP ${status}` };
}

export function apiVersion(context: ActionContext): string {
  return setting(context, 'apiVersion', DEFAULT_API_VERSION);
}

export async function instanceUrl(context: ActionContext): Promise<string> {
  const pinned = context.connection.config.instanceUrl;
  if (typeof pinned === 'string' && pinned !== '') return pinned.replace(/\/+$/, '');
  const extras = await context.auth.tokenExtras();
  if (typeof extras.instance_url !== 'string' || !/^https?:\/\//.test(extras.instance_url))
    throw new KryonixError(
      'KRX_UPSTREAM_ERROR',
      'Salesforce sent no instance_url with the token; set config.instanceUrl',
    );
  return extras.instance_url.replace(/\/+$/, '');
}

/** 4xx answers read here (not thrown by context.http), so 403 REQUEST_LIMIT_EXCEEDED is a limit, not auth. */
const READ_HERE = Array.from({ length: 100 }, (_, i) => 400 + i).filter((s) => s !== 401 && s !== 429);

export interface SalesforceRequest {
  method: string;
  /** Absolute URL on the instance (jsforce builds it from `instanceUrl`). */
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

/**
 * One request to the instance through `context.http`: refused while the org is out of API requests,
 * kept on the instance's origin, usage read from Sforce-Limit-Info, errors mapped by `errorCode`.
 */
export async function sfCall(context: ActionContext, req: SalesforceRequest): Promise<HttpResponse> {
  const connectionId = context.connection.id;
  const backoffMs =
    Number(context.connection.config.limitBackoffSeconds ?? DEFAULT_LIMIT_BACKOFF_SECONDS) * 1000;
  const wait = waitMs(connectionId);
  if (wait > 0)
    throw providerError(SALESFORCE, {
      status: 403,
      code: 'REQUEST_LIMIT_EXCEEDED',
      kind: 'rate',
      message: 'the org has used up its API requests (Sforce-Limit-Info); not calling until the wait is over',
      retryAfterMs: wait,
    });
  const response = await context.http({
    method: req.method,
    url: nextPageUrl(SALESFORCE, req.url, `${await instanceUrl(context)}/`),
    body: req.body,
    headers: req.headers,
    acceptStatuses: READ_HERE,
  });
  recordUsage(connectionId, response.headers['sforce-limit-info'], backoffMs);
  if (response.status < 400) return response;
  const description = describeSalesforceError(response.status, response.data);
  const kind = kindOf(ERROR_KINDS, description.code, response.status === 403 ? 'auth' : 'user');
  if (kind === 'rate') block(connectionId, backoffMs);
  throw providerError(SALESFORCE, {
    status: response.status,
    code: description.code,
    message: description.message,
    kind,
    ...(kind === 'rate' ? { retryAfterMs: backoffMs } : {}),
    ...(description.fields ? { details: { fields: description.fields } } : {}),
  });
}

/** Names that go into a URL path: sObject types and field names. */
export const SOBJECT_NAME = {
  type: 'string',
  pattern: '^[A-Za-z][A-Za-z0-9_]{0,79}$',
  description: 'sObject API name (Account, Contact, My_Object__c)',
};
export const RECORD_ID = {
  type: 'string',
  pattern: '^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$',
  description: 'Record id (15 or 18 characters)',
};
export const FIELD_VALUES = {
  type: 'object',
  minProperties: 1,
  maxProperties: 800,
  description: 'Field API names and their values',
};

export const SALESFORCE_QUERY_OUTPUT = {
  type: 'object',
  properties: {
    totalSize: { type: 'integer', description: 'Records the query matches' },
    done: { type: 'boolean', description: 'Every matching record is in `records`' },
    records: { type: 'array', items: { type: 'object' }, description: 'Records, with their `attributes`' },
    batches: { type: 'integer', description: 'Batches read' },
    nextRecordsUrl: { type: 'string', description: 'Where to resume when the limit stopped the walk' },
  },
};
