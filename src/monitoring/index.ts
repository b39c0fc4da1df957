/**
 * Monitoring: Prometheus metrics, the execution log API, the live stream, hourly aggregates, the
 * metrics API, alerts and the scheduled jobs. Other modules reach it only through this interface; it
 * learns what happens from platform events and reads the tables, never another module's internals.
 */
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import type { Database } from '../platform/db/client.js';
import type { EventBus } from '../platform/events.js';
import { createScheduler, type Scheduler } from '../platform/scheduler.js';
import { aggregateHour } from './aggregation.js';
import { type Analytics, createAnalytics } from './analytics.js';
import { createExecutionLogReader, type ExecutionLogReader } from './executions.js';
import { type ConnectionTester, monitoringJobs } from './jobs.js';
import { createMetricsRegistry, type ExecutionLogStats } from './metrics.js';
import { createRecorder, type Recorder } from './recorder.js';
import { createStreamHub, type StreamHub } from './stream.js';

interface Logger {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

export interface MonitoringDeps {
  config: Config;
  db: Database;
  events: EventBus;
  executionLogStats: () => ExecutionLogStats;
  circuitState?: (connectionId: string) => 'closed' | 'open' | 'half_open';
  /** The connectors' connection test (stores health and publishes connection.health_changed). */
  testConnection: ConnectionTester;
  log?: Logger;
}

export interface Monitoring {
  readonly registry: Registry;
  readonly recorder: Recorder;
  readonly executions: ExecutionLogReader;
  readonly stream: StreamHub;
  readonly analytics: Analytics;
  /** Present when this node runs the `scheduler` role. */
  readonly scheduler: Scheduler | undefined;
  /** Aggregates one hour into integration_metrics now (what the hourly job does). */
  aggregateHour(hour: Date): Promise<number>;
  close(): Promise<void>;
}

export function createMonitoring(deps: MonitoringDeps): Monitoring {
  const { config, db } = deps;
  const recorder = createRecorder(deps.events);
  const registry = createMetricsRegistry({
    db,
    recorder,
    executionLogStats: deps.executionLogStats,
    circuitState: deps.circuitState,
  });
  const stream = createStreamHub(deps.events);
  let scheduler: Scheduler | undefined;
  if (config.roles.includes('scheduler')) {
    scheduler = createScheduler(db, { log: deps.log });
    for (const job of monitoringJobs({ config, db, testConnection: deps.testConnection, log: deps.log }))
      scheduler.add(job);
    scheduler.start();
  }
  return {
    registry,
    recorder,
    executions: createExecutionLogReader(db),
    stream,
    analytics: createAnalytics(db),
    scheduler,
    aggregateHour: (hour) => aggregateHour(db, hour),
    async close() {
      await scheduler?.stop();
      stream.close();
      recorder.close();
    },
  };
}
