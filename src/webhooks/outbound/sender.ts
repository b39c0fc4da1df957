/**
 * One delivery attempt over HTTP: signed the Standard Webhooks way, through the SSRF-guarded dispatcher,
 * redirects not followed, bounded in time, the answer read to a small limit. Never throws: an outcome
 * says what happened.
 *
 * It drives undici's dispatcher with its own handler rather than `request()`: no response stream, no
 * AbortSignal per attempt (one timer instead), which is most of what a delivery costs besides the socket.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { AbortableHandler } from '../../platform/net/abortable-handler.js';
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
  /** The whole attempt, connecting to the last byte of the answer read. */
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
/** The answer is read (and kept) up to this many bytes; a longer one is cut off there, its status kept. */
export const READ_LIMIT = 64 * 1024;
const REDACTED = '[redacted]';
const ALWAYS_SECRET = ['authorization', 'cookie', 'proxy-authorization'];

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
  const redacted = { ...headers };
  for (const name of ALWAYS_SECRET) if (name in redacted) redacted[name] = REDACTED;
  if (target.type === 'header') redacted[target.headerName.toLowerCase()] = REDACTED;
  return redacted;
}

function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
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

class DeliveryTimeout extends Error {
  readonly code = 'KRX_DELIVERY_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
  }
}

/** The answer as it arrives: status and headers, then the body up to READ_LIMIT. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer[];
}

/** Settles once: with the answer (complete, or cut off at READ_LIMIT) or with the error that ended it. */
class AttemptHandler extends AbortableHandler {
  private answer: Answer | null = null;
  private bytes = 0;
  private settled = false;

  constructor(private readonly settle: (answer: Answer | null, error: unknown) => void) {
    super();
  }

  /** Ends the attempt now with `reason`; a request still waiting for a socket is aborted when it gets one. */
  fail(reason: Error): void {
    if (this.settled) return;
    this.finish(null, reason);
    this.abortRequest(reason);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx informational: the real answer follows
    this.answer = { status: statusCode, headers, body: [] };
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.answer || this.settled) return;
    this.answer.body.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= READ_LIMIT) {
      // Enough to record: keep the status, stop reading (the socket is not reused).
      this.finish(this.answer, null);
      controller.abort(new Error('answer longer than the read limit'));
    }
  }

  onResponseEnd(): void {
    this.finish(this.answer, null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish(null, error);
  }

  private finish(answer: Answer | null, error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.settle(answer, error);
  }
}

export function send(input: SendRequest): Promise<SendOutcome> {
  const body = JSON.stringify(input.payload);
  const headers: Record<string, string> = {};
  for (const name in input.headers) headers[name.toLowerCase()] = input.headers[name];
  Object.assign(headers, targetHeaders(input.target), {
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
  });
  const requestHeaders = redact(headers, input.target);
  const started = performance.now();

  return new Promise<SendOutcome>((resolve) => {
    const handler = new AttemptHandler((answer, error) => {
      clearTimeout(deadline);
      const durationMs = Math.round(performance.now() - started);
      if (answer) {
        const text = Buffer.concat(answer.body).toString('utf8', 0, READ_LIMIT);
        resolve({
          status: answer.status,
          responseHeaders: flatHeaders(answer.headers),
          responseBody: text.slice(0, RESPONSE_BODY_LIMIT),
          error: null,
          forbidden: false,
          durationMs,
          requestHeaders,
        });
        return;
      }
      resolve({
        status: null,
        responseHeaders: null,
        responseBody: null,
        error: describeError(error ?? new Error('the answer ended before its status')),
        forbidden: isForbidden(error),
        durationMs,
        requestHeaders,
      });
    });
    // One plain timer bounds the whole attempt: far cheaper than an AbortSignal per delivery.
    const deadline = setTimeout(() => handler.fail(new DeliveryTimeout(input.timeoutMs)), input.timeoutMs);
    try {
      const url = new URL(input.url);
      input.dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers,
          body,
          headersTimeout: input.timeoutMs,
          bodyTimeout: input.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      handler.fail(error as Error);
    }
  });
}
