/**
 * The caller's connection, watched with one 'close' listener: whether it went away before its answer
 * was complete, hooks to stop upstream work then, and an AbortSignal made only when asked for (an
 * AbortController per call is a measurable share of the proxy's hot path).
 */
import type { ServerResponse } from 'node:http';
import type { ClientLink } from '../gateway/proxy.js';
import { KryonixError } from '../platform/errors.js';

export class ResponseLink implements ClientLink {
  private closedWith: KryonixError | undefined;
  private listeners: Array<(reason: Error) => void> | undefined;
  private controller: AbortController | undefined;

  constructor(response: ServerResponse) {
    response.once('close', () => {
      if (!response.writableFinished) this.close();
    });
  }

  get aborted(): boolean {
    return this.closedWith !== undefined;
  }

  get reason(): KryonixError | undefined {
    return this.closedWith;
  }

  onClose(listener: (reason: Error) => void): void {
    if (this.closedWith) {
      listener(this.closedWith);
      return;
    }
    this.listeners ??= [];
    this.listeners.push(listener);
  }

  toSignal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.closedWith) this.controller.abort(this.closedWith);
    }
    return this.controller.signal;
  }

  private close(): void {
    const reason = new KryonixError(
      'KRX_CLIENT_CLOSED_REQUEST',
      'the client closed the connection before the answer',
    );
    this.closedWith = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const listener of listeners) listener(reason);
  }
}
