/**
 * One delivery attempt over HTTP: signed the Standard Webhooks way, through the SSRF-guarded dispatcher,
 * redirects not followed, bounded in time, the answer read to a small limit. Never throws: an outcome
 * says what happened.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import type { TargetAuth } from '../secrets.js';
import { signStandardWebhooks } from '../signing/index.js';

export interface SendRequest {
  readonly url: string;
  readonly messageId: string;
  readonly eventType: string;
  readonly subscriptionId: string;
  readonly payload: unknown;
  readonly signingSecrets: readonly string[];
  readonly target: TargetAuth;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly dispatcher: Dispatcher;
}

export interface SendOutcome {
  readonly status: number | null;
  readonly responseHeaders: Record<string, string> | null;
  readonly responseBody: string | null;
  readonly error: string | null;
  /** Whether the error was the SSRF guard refusing the target. */
  readonly forbidden: boolean;
  readonly durationMs: number;
  /** Headers as sent, secrets redacted. */
  readonly requestHeaders: Record<string, string>;
}

export const RESPONSE_BODY_LIMIT = 4096;
const READ_LIMIT = 64 * 1024;
const REDACTED = '[redacted]';

function targetHeaders(target: TargetAuth): Record<string, string> {
  switch (target.type) {
    case 'basic':
      return {
        authorization: `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`,
      };
    case 'bearer':
      return { authorization: `Bearer ${target.token}` };
    case 'header':
      return { [target.headerName.toLowerCase()]: target.headerValue };
    default:
      return {};
  }
}

function redact(headers: Record<string, string>, target: TargetAuth): Record<string, string> {
  const secretNames = new Set(['authorization', 'cookie', 'proxy-authorization']);
  if (target.type === 'header') secretNames.add(target.headerName.toLowerCase());
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, secretNames.has(name) ? REDACTED : value]),
  );
}

function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, 1024);
  }
  return out;
}

function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    parts.push(code ? `${code}: ${current.message}` : current.message);
    current = current.cause;
  }
  return (parts.join(' <- ') || String(error)).slice(0, 500);
}

function isForbidden(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if ((current as { code?: string }).code === 'KRX_TARGET_FORBIDDEN') return true;
    current = current.cause;
  }
  return false;
}

export async function send(input: SendRequest): Promise<SendOutcome> {
  const body = JSON.stringify(input.payload);
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(input.headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...targetHeaders(input.target),
    'content-type': 'application/json',
    'user-agent': 'KRYONIX-Webhook/1.0',
    'x-kryonix-event': input.eventType,
    'x-kryonix-subscription': input.subscriptionId,
    ...signStandardWebhooks({
      id: input.messageId,
      timestamp: new Date(),
      body,
      secrets: input.signingSecrets,
    }),
  };
  const requestHeaders = redact(headers, input.target);
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await request(input.url, {
      method: 'POST',
      headers,
      body,
      dispatcher: input.dispatcher,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
      signal: AbortSignal.timeout(input.timeoutMs),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      if (size < READ_LIMIT) chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= READ_LIMIT) {
        response.body.destroy();
        break;
      }
    }
    return {
      status: response.statusCode,
      responseHeaders: flatHeaders(response.headers),
      responseBody: Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_BODY_LIMIT),
      error: null,
      forbidden: false,
      durationMs: elapsed(),
      requestHeaders,
    };
  } catch (error) {
    return {
      status: null,
      responseHeaders: null,
      responseBody: null,
      error: describeError(error),
      forbidden: isForbidden(error),
      durationMs: elapsed(),
      requestHeaders,
    };
  }
}
