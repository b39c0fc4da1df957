/**
 * Monitoring: Prometheus metrics, the execution log API, the live stream, hourly aggregates, the
 * metrics API, alerts and the scheduled jobs. Other modules reach it only through this interface; it
 * learns what happens from platform events and reads the tables, never another module's internals.
 */
import type { Registry } from 'prom-client';
import type { Dispatcher } from 'undici';
import type { Config } from '../config.js';
import type { Sealer } from '../platform/crypto.js';
import type { Database } from '../platform/db/client.js';
import type { EventBus } from '../platform/events.js';
import type { PlatformRedis } from '../platform/redis.js';
import { createScheduler, type Scheduler } from '../platform/scheduler.js';
import { aggregateHour } from './aggregation.js';
import { type AlertEvaluator, createAlertEvaluator } from './alerts/evaluate.js';
import { type ActionRunnerFn, createNotifier } from './alerts/notify.js';
import { type AlertRules, createAlertRules } from './alerts/rules.js';
import { type Analytics, createAnalytics } from './analytics.js';
import { createExecutionLogReader, type ExecutionLogReader } from './executions.js';
import { type ConnectionTester, monitoringJobs } from './jobs.js';
import { createMetricsRegistry, type ExecutionLogStats, type ProviderQuotaSample } from './metrics.js';
import { createRecorder, type Recorder } from './recorder.js';
import { createStreamHub, type StreamHub } from './stream.js';

export { sealPlainChannels } from './alerts/rules.js';

const STREAM_CHANNEL = 'krx:stream';

interface Logger {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

export interface MonitoringDeps {
  config: Config;
  db: Database;
  /** Seals and opens alert rules' notification channels. */
  sealer: Sealer;
  events: EventBus;
  /** With Redis, live streams show the events of every node. */
  redis?: PlatformRedis;
  executionLogStats: () => ExecutionLogStats;
  circuitState?: (connectionId: string) => 'closed' | 'open' | 'half_open';
  /** Provider quotas the connectors track, exported as gauges. */
  providerQuotas?: () => Iterable<ProviderQuotaSample>;
  /** The connectors' connection test (stores health and publishes connection.health_changed). */
  testConnection: ConnectionTester;
  /** Runs a connector action (alert emails go through the tenant's email connection). */
  runAction: ActionRunnerFn;
  /** The SSRF-guarded dispatcher for Slack, Teams and webhook notifications. */
  dispatcher: Dispatcher;
  /** Retry delays of direct notifications (tests shorten them). */
  notifyRetryDelaysMs?: number[];
  log?: Logger;
}

export interface Monitoring {
  readonly registry: Registry;
  readonly recorder: Recorder;
  readonly executions: ExecutionLogReader;
  readonly stream: StreamHub;
  readonly analytics: Analytics;
  readonly alerts: AlertRules;
  /** Evaluates every alert rule now (what the every-minute job does). */
  readonly evaluator: AlertEvaluator;
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
    providerQuotas: deps.providerQuotas,
  });
  const { redis } = deps;
  const stream = createStreamHub(deps.events, {
    relay: redis && {
      nodeId: redis.nodeId,
      send: (message) => redis.publish(STREAM_CHANNEL, message),
      subscribe: (receive) => redis.subscribe(STREAM_CHANNEL, receive),
    },
    log: deps.log,
  });
  const notifier = createNotifier({
    dispatcher: deps.dispatcher,
    runAction: deps.runAction,
    retryDelaysMs: deps.notifyRetryDelaysMs,
  });
  const evaluator = createAlertEvaluator({
    db,
    sealer: deps.sealer,
    events: deps.events,
    notifier,
    log: deps.log,
  });
  let scheduler: Scheduler | undefined;
  if (config.roles.includes('scheduler')) {
    scheduler = createScheduler(db, { log: deps.log });
    const jobs = monitoringJobs({
      config,
      db,
      testConnection: deps.testConnection,
      evaluateAlerts: () => evaluator.evaluate(),
      log: deps.log,
    });
    for (const job of jobs) scheduler.add(job);
    scheduler.start();
  }
  return {
    registry,
    recorder,
    executions: createExecutionLogReader(db),
    stream,
    analytics: createAnalytics(db),
    alerts: createAlertRules(db, deps.sealer, deps.events, {
      // The response does not wait for the channels (retries take seconds); failures are logged.
      onResolved: (tenantId, ruleId, eventId, message) =>
        void evaluator
          .notifyResolved(tenantId, ruleId, eventId, message)
          .catch((error: unknown) =>
            deps.log?.warn({ err: error, alertId: ruleId }, 'alert notification failed'),
          ),
    }),
    evaluator,
    scheduler,
    aggregateHour: (hour) => aggregateHour(db, hour),
    async close() {
      await scheduler?.stop();
      stream.close();
      recorder.close();
    },
  };
}
