/**
 * The Slack Web API over `context.http`: `POST {apiUrl}/{method}` with the bot token as a Bearer
 * header. Slack says no with HTTP 200 and `{ ok: false, error }`; the table below sorts its error
 * codes into auth failures, the caller's mistakes and transient trouble. 429 (with Retry-After) is
 * the only meaningful non-200 status and `context.http` already honours it.
 */
import type { ActionContext } from '../../sdk.js';
import { type FailureKind, joinUrl, kindOf, missingSetting, providerError, setting } from '../shared.js';

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

type Arg = string | number | boolean | object | undefined | null;

/** Form encoding as Slack's own SDK sends it: objects and arrays JSON-encoded, nothing for undefined. */
function toForm(args: Record<string, Arg>): Record<string, string> {
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    form[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return form;
}

export interface SlackAnswer {
  ok: boolean;
  error?: string;
  response_metadata?: { next_cursor?: string; warnings?: string[] };
  [key: string]: unknown;
}

/**
 * Calls one Web API method. `json` sends a JSON body (write methods take one; `blocks` stay
 * structured), else the body is form-encoded, which every method accepts.
 */
export async function slackCall<T extends SlackAnswer = SlackAnswer>(
  context: ActionContext,
  method: string,
  args: Record<string, Arg>,
  options: { json?: boolean } = {},
): Promise<T> {
  if (context.auth.method !== 'bearer')
    throw missingSetting('the Slack Web API needs a bot token: use auth type bearer with the xoxb- token');
  const url = joinUrl(setting(context, 'apiUrl', SLACK_API_URL), method);
  const response = await context.http<T>(
    options.json
      ? {
          method: 'POST',
          url,
          body: JSON.stringify(Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined))),
          headers: { 'content-type': 'application/json; charset=utf-8' },
        }
      : { method: 'POST', url, form: toForm(args) },
  );
  const data = response.data;
  if (data && typeof data === 'object' && data.ok === true) return data;
  const code = data && typeof data === 'object' && typeof data.error === 'string' ? data.error : undefined;
  const failure = describeSlackFailure(
    response.status,
    code ?? 'unexpected_response',
    (data ?? {}) as Record<string, unknown>,
  );
  throw providerError(SLACK, {
    status: response.status,
    ...failure,
    message: code ? failure.message : 'the answer is not a Slack API response',
  });
}
