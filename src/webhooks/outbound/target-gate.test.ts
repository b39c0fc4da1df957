import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTargetGate, originOf } from './target-gate.js';

describe('target gate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keys targets by origin: scheme, host and port', () => {
    expect(originOf('https://hooks.example.com/a?x=1')).toBe('https://hooks.example.com');
    expect(originOf('https://hooks.example.com:443/b')).toBe('https://hooks.example.com');
    expect(originOf('http://hooks.example.com:8080/b')).toBe('http://hooks.example.com:8080');
  });

  it('caps deliveries in flight per target, independently of other targets', () => {
    const gate = createTargetGate<number>({ concurrency: 2, ratePerSecond: 0, onReady: () => {} });
    expect(gate.admit('http://slow', 1)).toBe('go');
    expect(gate.admit('http://slow', 2)).toBe('go');
    expect(gate.admit('http://slow', 3)).toBe(250); // deferred, not held: no rate cap
    expect(gate.admit('http://fast', 4)).toBe('go');
    expect(gate.closed()).toEqual(['http://slow']);
    gate.release('http://slow');
    expect(gate.admit('http://slow', 5)).toBe('go');
  });

  it('starts at most rate per second, evenly spaced, holding the next few and deferring the rest', () => {
    const started: { item: number; at: number }[] = [];
    const gate = createTargetGate<number>({
      concurrency: 100,
      ratePerSecond: 8,
      onReady: (origin, item) => {
        started.push({ item, at: Date.now() });
        gate.release(origin);
      },
    });
    const admissions = [1, 2, 3, 4].map((item) => gate.admit('http://t', item));
    // The first starts now, a quarter second's worth (2) is held, the next is deferred past those.
    expect(admissions).toEqual(['go', 'held', 'held', 375]);
    expect(gate.closed()).toEqual(['http://t']);
    gate.release('http://t');
    vi.advanceTimersByTime(1000);
    expect(started).toEqual([
      { item: 2, at: 1_000_125 },
      { item: 3, at: 1_000_250 },
    ]);
    expect(gate.admit('http://t', 5)).toBe('go'); // the slot of the deferred one has long passed
  });

  it('waits for a free slot before starting a held delivery', () => {
    const started: number[] = [];
    const gate = createTargetGate<number>({
      concurrency: 1,
      ratePerSecond: 4,
      onReady: (_origin, item) => started.push(item),
    });
    expect(gate.admit('http://t', 1)).toBe('go');
    expect(gate.admit('http://t', 2)).toBeGreaterThan(0); // at the concurrency cap: deferred
    vi.advanceTimersByTime(1000);
    gate.release('http://t');
    expect(gate.admit('http://t', 3)).toBe('go');
    expect(gate.admit('http://t', 4)).toBeGreaterThan(0);
    expect(started).toEqual([]);
  });

  it('hands back what it holds at a stop', () => {
    const gate = createTargetGate<number>({ concurrency: 10, ratePerSecond: 40, onReady: () => {} });
    expect(gate.admit('http://t', 1)).toBe('go');
    expect(gate.admit('http://t', 2)).toBe('held');
    expect(gate.takeHeld()).toEqual([2]);
    vi.advanceTimersByTime(1000);
  });
});
