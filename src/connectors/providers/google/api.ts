/**
 * Google APIs (Gmail, Drive) over `context.http`: OAuth2 refresh token or service-account JWT bearer
 * tokens from the shared auth helpers, and Google's error envelope
 * `{error:{code,message,errors:[{domain,reason}],status}}` sorted into kinds by reason and status.
 * Rate-limit refusals come as 429 or as 403 `rateLimitExceeded`/`userRateLimitExceeded`, sometimes with
 * "Retry after <time>" in the message only: that time becomes the Retry-After.
 */
import type { HttpRequest, HttpResponse } from '../../http.js';
import type { ActionContext } from '../../sdk.js';
import { type FailureKind, kindOf, providerError } from '../shared.js';

export const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const REASON_KINDS: Partial<Record<FailureKind, readonly string[]>> = {
  rate: [
    'rateLimitExceeded',
    'userRateLimitExceeded',
    'quotaExceeded',
    'dailyLimitExceeded',
    'sharingRateLimitExceeded',
  ],
  auth: ['authError', 'insufficientPermissions', 'forbidden', 'domainPolicy', 'appNotAuthorizedToFile'],
  retryable: ['backendError', 'internalError'],
};

interface GoogleErrorBody {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: Array<{ reason?: string; domain?: string; message?: string }>;
  };
}

export function describeGoogleError(status: number, raw: unknown): { message: string; code?: string } {
  let body = raw;
  if (Buffer.isBuffer(raw)) {
    // a download (responseType buffer) that failed: the error is still JSON
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = raw.toString('utf8');
    }
  }
  const error = (body as GoogleErrorBody | null)?.error;
  if (error && typeof error === 'object') {
    const reason = error.errors?.[0]?.reason;
    return { message: error.message ?? String(error.status ?? status), code: reason ?? error.status };
  }
  if (typeof body === 'string' && body.trim() !== '') return { message: body.trim().slice(0, 300) };
  return { message: `HTTP ${status}` };
}

/** "User-rate limit exceeded.  Retry after 2024-05-01T10:00:00.000Z" → milliseconds from now. */
export function retryAfterFromMessage(message: string | undefined, now = Date.now()): number | undefined {
  const match = /Retry after (\S+Z)/i.exec(message ?? '');
  if (!match) return undefined;
  const at = Date.parse(match[1]);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export async function googleCall<T = unknown>(
  context: ActionContext,
  displayName: string,
  req: HttpRequest,
): Promise<HttpResponse<T>> {
  const response = await context.http<T>({
    ...req,
    acceptStatuses: [...(req.acceptStatuses ?? []), 403, 429],
  });
  if (response.status !== 403 && response.status !== 429) return response;
  const description = describeGoogleError(response.status, response.data);
  const kind = kindOf(REASON_KINDS, description.code, response.status === 429 ? 'rate' : 'auth');
  const header = Number(response.headers['retry-after']);
  const retryAfterMs =
    Number.isFinite(header) && header > 0 ? header * 1000 : retryAfterFromMessage(description.message);
  throw providerError(displayName, {
    status: response.status,
    ...description,
    kind,
    ...(kind === 'rate' ? { retryAfterMs: retryAfterMs ?? 1000 } : {}),
  });
}
