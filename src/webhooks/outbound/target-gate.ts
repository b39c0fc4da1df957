/**
 * Caps per target (the origin of a target URL: scheme, host and port) on this node: deliveries in flight,
 * and optionally starts per second, evenly spaced (1/rate apart). Subscriptions of any tenant that point
 * at one receiver share its caps, so one slow receiver holds only its own slots.
 *
 * Under a rate cap the gate keeps the next few deliveries (a quarter second's worth) and starts each at
 * its slot, so the rate is met without a round trip to the database per start. Anything beyond that, or
 * beyond the concurrency cap, is turned away with a delay: the worker defers it (back to the queue, not an
 * attempt), and `admit` spreads those delays so deferred rows come back about when the target can take
 * them rather than all at once.
 */

export interface TargetGateOptions<T> {
  /** Deliveries in flight per target. */
  readonly concurrency: number;
  /** Starts per second per target; 0: no rate cap. */
  readonly ratePerSecond: number;
  /** How long a delivery turned away by the concurrency cap waits before it is claimed again. */
  readonly busyDeferMs?: number;
  /** A held delivery's slot has come: it holds a slot now and must be started. */
  readonly onReady: (origin: string, item: T) => void;
}

interface TargetState<T> {
  inflight: number;
  /** Earliest time of the next start under the rate cap. */
  nextStartAt: number;
  /** Where the next deferral is scheduled, so deferrals queue up behind each other. */
  deferCursor: number;
  held: T[];
  timer: NodeJS.Timeout | undefined;
}

/** `go`: a slot was taken, start now; `held`: the gate starts it later; a number: defer by that many ms. */
export type Admission = 'go' | 'held' | number;

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

export function createTargetGate<T>(options: TargetGateOptions<T>) {
  const { concurrency } = options;
  const interval = options.ratePerSecond > 0 ? 1000 / options.ratePerSecond : 0;
  const holdLimit =
    interval > 0 ? Math.min(concurrency, Math.max(1, Math.ceil(options.ratePerSecond / 4))) : 0;
  const busyDeferMs = options.busyDeferMs ?? 250;
  const targets = new Map<string, TargetState<T>>();

  const stateOf = (origin: string): TargetState<T> => {
    let state = targets.get(origin);
    if (!state) {
      state = { inflight: 0, nextStartAt: 0, deferCursor: 0, held: [], timer: undefined };
      targets.set(origin, state);
    }
    return state;
  };

  function acquire(state: TargetState<T>, now: number): void {
    state.inflight++;
    if (interval > 0) state.nextStartAt = Math.max(state.nextStartAt, now) + interval;
  }

  /** Starts held deliveries whose slot has come; waits for the next slot or a free one. */
  function drain(origin: string, state: TargetState<T>): void {
    const now = Date.now();
    while (state.held.length > 0 && state.inflight < concurrency && now >= state.nextStartAt) {
      acquire(state, now);
      options.onReady(origin, state.held.shift()!);
    }
    // At the concurrency cap, `release` re-arms.
    if (state.timer || state.held.length === 0 || state.inflight >= concurrency) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        drain(origin, state);
      },
      Math.max(0, state.nextStartAt - now),
    );
    state.timer.unref();
  }

  function deferral(state: TargetState<T>, now: number): number {
    const busy = state.inflight >= concurrency;
    const earliest = Math.max(
      now + (busy ? busyDeferMs : 0),
      state.nextStartAt + state.held.length * interval,
    );
    const at = Math.max(earliest, state.deferCursor);
    // One deferral per rate interval, or `concurrency` per busy period.
    state.deferCursor = at + Math.max(interval, busyDeferMs / concurrency);
    return Math.max(1, Math.ceil(at - now));
  }

  return {
    admit(origin: string, item: T, now = Date.now()): Admission {
      const state = stateOf(origin);
      if (state.inflight >= concurrency) return deferral(state, now);
      if (state.held.length === 0 && now >= state.nextStartAt) {
        acquire(state, now);
        return 'go';
      }
      if (state.held.length >= holdLimit) return deferral(state, now);
      state.held.push(item);
      drain(origin, state);
      return 'held';
    },
    release(origin: string): void {
      const state = targets.get(origin);
      if (!state) return;
      state.inflight = Math.max(0, state.inflight - 1);
      drain(origin, state);
    },
    /** Targets that cannot take another delivery now (their subscriptions are left out of the next claim). */
    closed(now = Date.now()): string[] {
      const out: string[] = [];
      for (const [origin, state] of targets) {
        if (state.inflight >= concurrency || (interval > 0 && state.held.length >= holdLimit)) {
          out.push(origin);
        } else if (
          state.inflight === 0 &&
          state.held.length === 0 &&
          state.nextStartAt <= now &&
          state.deferCursor <= now
        ) {
          targets.delete(origin); // nothing to remember about an idle target
        }
      }
      return out;
    },
    /** Everything still held (at a stop), to be handed back to the queue. */
    takeHeld(): T[] {
      const all: T[] = [];
      for (const state of targets.values()) {
        if (state.timer) clearTimeout(state.timer);
        state.timer = undefined;
        all.push(...state.held.splice(0));
      }
      return all;
    },
  };
}
