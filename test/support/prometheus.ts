/** Checks a /metrics answer against the Prometheus text exposition format 0.0.4. */
import { execFileSync, spawnSync } from 'node:child_process';
import { expect } from 'vitest';

const promtool = spawnSync('promtool', ['--version']).status === 0;

/**
 * Strict line grammar of the format (used when promtool is not installed). NaN in any case, as
 * promtool's Go ParseFloat reads it: prom-client writes an empty event-loop histogram as `Nan`.
 */
const LINE =
  /^(?:# (?:HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]*(?: .*)?|[a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (?:-?[0-9.e+-]+|[Nn][Aa][Nn]|\+Inf|-Inf))$/;

export function expectValidExposition(text: string): void {
  if (promtool) {
    // promtool lints too (e.g. counters must end in _total); it exits non-zero on any problem.
    execFileSync('promtool', ['check', 'metrics'], { input: text });
  } else {
    const bad = text.split('\n').filter((line) => line !== '' && !LINE.test(line));
    expect(bad).toEqual([]);
  }
}
