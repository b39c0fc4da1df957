/**
 * Monitoring: Prometheus metrics, the execution log API, the live stream, hourly aggregates, the
 * metrics API, alerts and the scheduled jobs. Other modules reach it only through this interface; it
 * learns what happens from platform events and reads the tables, never another module's internals.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Database } from '../platform/db/client.js';
import type { EventBus } from '../platform/events.js';
import { createExecutionLogReader, type ExecutionLogReader } from './executions.js';
import { createMetricsRegistry, type ExecutionLogStats } from './metrics.js';
import { createRecorder, type Recorder } from './recorder.js';
import { createStreamHub, type StreamHub } from './stream.js';

export interface MonitoringDeps {
  config: Config;
  db: Database;
  events: EventBus;
  executionLogStats: () => ExecutionLogStats;
  circuitState?: (connectionId: string) => 'closed' | 'open' | 'half_open';
}

export interface Monitoring {
  readonly registry: Registry;
  readonly recorder: Recorder;
  readonly executions: ExecutionLogReader;
  readonly stream: StreamHub;
  close(): Promise<void>;
}

export function createMonitoring(deps: MonitoringDeps): Monitoring {
  const recorder = createRecorder(deps.events);
  const registry = createMetricsRegistry({
    db: deps.db,
    recorder,
    executionLogStats: deps.executionLogStats,
    circuitState: deps.circuitState,
  });
  const stream = createStreamHub(deps.events);
  return {
    registry,
    recorder,
    executions: createExecutionLogReader(deps.db),
    stream,
    async close() {
      stream.close();
      recorder.close();
    },
  };
}
