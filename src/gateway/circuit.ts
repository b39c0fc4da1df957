/**
 * A circuit breaker per connection (opossum): after enough calls fail within the rolling window the
 * circuit opens and calls fail fast with KRX_CIRCUIT_OPEN (503) instead of piling onto a broken
 * upstream; after `resetTimeoutMs` one probe is let through (half-open) and its outcome closes or
 * re-opens the circuit. A "failure" is a network error, a timeout or a 5xx answer: a 4xx is the
 * caller's problem, not the upstream's health.
 */
import CircuitBreaker from 'opossum';
import { KryonixError } from '../platform/errors.js';
import type { EventBus } from '../platform/events.js';

export interface CircuitSettings {
  /** Percentage of failed calls in the window that opens the circuit. */
  errorThresholdPercentage: number;
  /** Calls needed in the window before the percentage counts. */
  volumeThreshold: number;
  /** Rolling window in ms. */
  windowMs: number;
  /** How long the circuit stays open before a probe. */
  resetTimeoutMs: number;
}

export const DEFAULT_CIRCUIT: CircuitSettings = Object.freeze({
  errorThresholdPercentage: 50,
  volumeThreshold: 10,
  windowMs: 10_000,
  resetTimeoutMs: 30_000,
});

export type CircuitState = 'closed' | 'open' | 'half_open';

/** Carries a result that counts as a failure through opossum, to be unwrapped for the caller. */
class FailedResult {
  constructor(readonly result: unknown) {}
}

type Work = () => Promise<unknown>;

export interface CircuitRegistry {
  run<T>(
    target: { tenantId: string; connectionId: string },
    settings: CircuitSettings,
    work: () => Promise<T>,
    isFailure: (result: T) => boolean,
  ): Promise<T>;
  state(connectionId: string): CircuitState;
  /** Drops a connection's breaker (its settings changed or it was deleted). */
  forget(connectionId: string): void;
  close(): void;
}

export function createCircuitRegistry(events: EventBus): CircuitRegistry {
  const breakers = new Map<string, { breaker: CircuitBreaker<[Work], unknown>; settings: CircuitSettings }>();

  function breakerFor(tenantId: string, connectionId: string, settings: CircuitSettings) {
    const existing = breakers.get(connectionId);
    if (existing && existing.settings === settings) return existing.breaker;
    existing?.breaker.shutdown();
    const breaker = new CircuitBreaker<[Work], unknown>((work) => work(), {
      timeout: false, // the gateway enforces its own deadline, retries included
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      rollingCountTimeout: settings.windowMs,
      resetTimeout: settings.resetTimeoutMs,
      // Nothing reads opossum's latency percentiles or snapshots, and they are not free: each call's
      // latency is kept for the whole window, and every second (and on every failure, when the
      // breaker reads its stats) they are concatenated and sorted.
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
      // A user error (bad input the upstream refused as such) is not a sign of upstream trouble.
      errorFilter: (error) => error instanceof KryonixError && error.errorClass === 'user',
    });
    breaker.on('open', () => events.publish('connection.circuit_opened', { tenantId, connectionId }));
    breaker.on('close', () => events.publish('connection.circuit_closed', { tenantId, connectionId }));
    breakers.set(connectionId, { breaker, settings });
    return breaker;
  }

  return {
    async run(target, settings, work, isFailure) {
      const breaker = breakerFor(target.tenantId, target.connectionId, settings);
      try {
        return (await breaker.fire(async () => {
          const result = await work();
          if (isFailure(result)) throw new FailedResult(result);
          return result;
        })) as Awaited<ReturnType<typeof work>>;
      } catch (error) {
        if (error instanceof FailedResult) return error.result as Awaited<ReturnType<typeof work>>;
        if ((error as { code?: string }).code === 'EOPENBREAKER') {
          throw new KryonixError(
            'KRX_CIRCUIT_OPEN',
            'calls to this connection are failing; the circuit is open and will probe again shortly',
            {
              headers: { 'retry-after': String(Math.ceil(settings.resetTimeoutMs / 1000)) },
            },
          );
        }
        throw error;
      }
    },
    state(connectionId) {
      const breaker = breakers.get(connectionId)?.breaker;
      if (!breaker || breaker.closed) return 'closed';
      return breaker.halfOpen ? 'half_open' : 'open';
    },
    forget(connectionId) {
      breakers.get(connectionId)?.breaker.shutdown();
      breakers.delete(connectionId);
    },
    close() {
      for (const { breaker } of breakers.values()) breaker.shutdown();
      breakers.clear();
    },
  };
}
