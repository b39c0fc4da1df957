import type { Dispatcher } from 'undici';

/**
 * The base of undici dispatch handlers that may be aborted at any time: undici hands a handler its
 * controller only when the request gets a socket, so an abort that comes earlier (a deadline, a caller
 * that went away) is kept and applied then.
 */
export abstract class AbortableHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private pendingAbort: Error | null = null;

  protected abortRequest(reason: Error): void {
    if (this.controller) this.controller.abort(reason);
    else this.pendingAbort = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingAbort) controller.abort(this.pendingAbort);
  }
}
