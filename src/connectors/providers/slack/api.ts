/**
 * The Slack Web API through the official SDK (`@slack/web-api` WebClient), whose transport is
 * `context.http`: the bot token is added by the connection's auth session, requests pass the SSRF
 * guard, and statuses are mapped by our HTTP layer. Retries are ours, not the SDK's: the client is
 * built with `retries: 0` and `rejectRateLimitedCalls`, and a 429 never reaches it — `context.http`
 * turns it into KRX_RATE_LIMITED with the Retry-After, holds the connection until then, and the
 * runner retries idempotent actions after that wait. Slack says no with HTTP 200 and
 * `{ ok: false, error }`; the table below sorts its codes into auth failures, the caller's mistakes
 * and transient trouble.
 */
import {
  type FetchFunction,
  type Logger,
  LogLevel,
  WebAPIPlatformError,
  WebAPIRequestError,
  WebClient,
} from '@slack/web-api';
import type { ActionContext } from '../../sdk.js';
import { type FailureKind, kindOf, missingSetting, providerError, setting } from '../shared.js';

export const SLACK = 'Slack';
export const SLACK_API_URL = 'https://slack.com/api';

const ERROR_KINDS: Partial<Record<FailureKind, readonly string[]>> = {
  auth: [
    'not_authed',
    'invalid_auth',
    'account_inactive',
    'token_revoked',
    'token_expired',
    'no_permission',
    'missing_scope',
    'not_allowed_token_type',
    'org_login_required',
    'team_access_not_granted',
    'ekm_access_denied',
    'action_prohibited',
    'invalid_token',
  ],
  rate: ['ratelimited', 'rate_limited'],
  retryable: ['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'rollup_error'],
};

/** Slack sends only a code: say what it means and what to do. */
const MESSAGES: Record<string, string> = {
  not_authed: 'no token was sent',
  invalid_auth: 'the token is not valid (revoked, mistyped or for another workspace)',
  account_inactive: 'the token belongs to a deleted user or a disabled app',
  token_revoked: 'the token was revoked',
  token_expired: 'the token expired',
  missing_scope: 'the token lacks a scope this method needs',
  channel_not_found: 'the channel does not exist or the bot cannot see it',
  not_in_channel: 'the bot is not a member of the channel: invite it first',
  is_archived: 'the channel is archived',
  channel_is_archived: 'the channel is archived',
  msg_too_long: 'the message text is too long',
  no_text: 'the message has no text and no blocks',
  invalid_blocks: 'the blocks are not valid Block Kit',
  invalid_payload: 'the webhook payload is not valid',
  action_prohibited: 'an admin has restricted posting through this webhook',
  no_service: 'the webhook URL does not exist (removed or mistyped)',
  invalid_cursor: 'the pagination cursor is not valid',
  ratelimited: 'too many requests: Slack asked to wait',
};

export function describeSlackFailure(
  status: number,
  code: string | undefined,
  extra: Record<string, unknown> = {},
): { code?: string; message: string; kind: FailureKind } {
  const kind = kindOf(ERROR_KINDS, code, status === 429 ? 'rate' : status >= 500 ? 'retryable' : 'user');
  const base = (code && MESSAGES[code]) ?? code ?? `HTTP ${status}`;
  const needed =
    typeof extra.needed === 'string'
      ? ` (needed: ${extra.needed}${typeof extra.provided === 'string' ? `; provided: ${extra.provided}` : ''})`
      : '';
  return { code, message: `${base}${needed}`, kind };
}

/** Error bodies of non-2xx answers: `{ok:false,error}` from the Web API, plain text from webhooks. */
export function describeSlackError(status: number, body: unknown): { message: string; code?: string } {
  let code: string | undefined;
  if (body && typeof body === 'object' && typeof (body as { error?: unknown }).error === 'string')
    code = (body as { error: string }).error;
  else if (typeof body === 'string' && /^[a-z_]+$/.test(body.trim())) code = body.trim();
  const { message } = describeSlackFailure(status, code, (body ?? {}) as Record<string, unknown>);
  return { message, code };
}

export interface SlackAnswer {
  ok: boolean;
  error?: string;
  response_metadata?: { next_cursor?: string; warnings?: string[] };
  [key: string]: unknown;
}

/** The SDK logs through this; what matters reaches the caller as an error instead. */
const QUIET: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};

/**
 * The SDK's `fetch`, carried by `context.http`. The connection's auth goes to the API origin only:
 * upload URLs (files.slack.com) are pre-signed, and a credential never leaves for another origin.
 */
function fetchThrough(context: ActionContext, apiOrigin: string): FetchFunction {
  return async (url, init) => {
    const target = String(url);
    const headers: Record<string, string> = { ...init?.headers };
    let body: string | Buffer | undefined;
    if (init?.body instanceof FormData) {
      // Multipart (a file's bytes): encoded by the platform's own Request, boundary included.
      const encoded = new Request(target, { method: 'POST', body: init.body });
      body = Buffer.from(await encoded.arrayBuffer());
      headers['content-type'] = encoded.headers.get('content-type') ?? 'multipart/form-data';
    } else body = init?.body;
    const response = await context.http<Buffer>({
      method: init?.method ?? 'POST',
      url: target,
      headers,
      body,
      auth: new URL(target).origin === apiOrigin,
      responseType: 'buffer',
    });
    return new Response(new Uint8Array(response.data), {
      status: response.status,
      headers: response.headers,
    });
  };
}

/** A WebClient for this run; throws unless the connection has a bot token. */
export function slackClient(context: ActionContext): WebClient {
  if (context.auth.method !== 'bearer')
    throw missingSetting('the Slack Web API needs a bot token: use auth type bearer with the xoxb- token');
  const apiUrl = `${setting(context, 'apiUrl', SLACK_API_URL).replace(/\/+$/, '')}/`;
  return new WebClient(undefined, {
    slackApiUrl: apiUrl,
    fetch: fetchThrough(context, new URL(apiUrl).origin),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    allowAbsoluteUrls: false,
    logger: QUIET,
  });
}

/** What the SDK threw, as the platform error it stands for. */
export function slackFailure(error: unknown): unknown {
  if (error instanceof WebAPIRequestError) return error.original;
  if (error instanceof WebAPIPlatformError) {
    const data = error.data as unknown as Record<string, unknown>;
    // The SDK puts a body that is not JSON (a proxy's HTML page, say) in `error`: not a Slack code.
    if (typeof data.error !== 'string' || !/^[a-z0-9_]{1,100}$/.test(data.error))
      return providerError(SLACK, {
        status: 200,
        code: 'unexpected_response',
        kind: 'server',
        message: 'the answer is not a Slack API response',
      });
    return providerError(SLACK, { status: 200, ...describeSlackFailure(200, data.error, data) });
  }
  return error;
}

/** Calls one Web API method through the SDK; `{ ok: false }` and transport failures become platform errors. */
export async function slackCall<T extends SlackAnswer = SlackAnswer>(
  context: ActionContext,
  method: string,
  args: Record<string, unknown>,
): Promise<T> {
  try {
    return (await slackClient(context).apiCall(method, args)) as unknown as T;
  } catch (error) {
    throw slackFailure(error);
  }
}
