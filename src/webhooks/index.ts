/**
 * Bidirectional webhooks: inbound endpoints (`ANY /webhooks/:slug`), outbound subscriptions fed by
 * platform events through a durable outbox, the delivery worker and the delivery log. The service
 * interface below is all other code may use; signing/ is exported for tests, benchmarks and tools.
 */
import type { Config } from '../config.js';
import type { Sealer } from '../platform/crypto.js';
import type { Database } from '../platform/db/client.js';
import type { EventBus } from '../platform/events.js';
import { parseCidrList } from '../platform/net/cidr.js';
import { createDeliveryLog, type DeliveryLog } from './deliveries.js';
import { createEndpointAdmin, type EndpointAdmin } from './endpoints.js';
import { createEndpointCache } from './inbound/endpoint-cache.js';
import { createReceiver, type InboundStepRecords, type Receiver } from './inbound/receiver.js';
import { createRejectionLog } from './inbound/rejections.js';
import { createInboundStore } from './inbound/store.js';
import { listenForEvents } from './outbound/event-listener.js';
import { createFanout } from './outbound/fanout.js';
import { createDeliveryWorker, type DeliveryWorker, type WorkerOptions } from './outbound/worker.js';
import { createSubscriptionAdmin, type SubscriptionAdmin } from './subscriptions.js';

export { EVENT_CATALOG } from './catalog.js';
export type { DeliveryLog, EndpointAdmin, Receiver, SubscriptionAdmin };

export interface Webhooks {
  readonly endpoints: EndpointAdmin;
  readonly subscriptions: SubscriptionAdmin;
  readonly deliveries: DeliveryLog;
  readonly receiver: Receiver;
  /** Present when this node runs the `worker` role. */
  readonly worker: DeliveryWorker | undefined;
  close(): Promise<void>;
}

interface Logger {
  warn(object: unknown, message: string): void;
  error(object: unknown, message: string): void;
}

export function createWebhooks(deps: {
  config: Config;
  db: Database;
  sealer: Sealer;
  events: EventBus;
  log?: Logger;
  /** Where inbound pipelines' step runs go (data_transformations), per API_TRANSFORM_RECORD. */
  steps?: InboundStepRecords;
  /** Overrides for the worker (tests, benchmarks). */
  worker?: Partial<WorkerOptions>;
}): Webhooks {
  const { config, db, sealer, events, log } = deps;
  const platformAllowedNetworks = parseCidrList(config.dangerousAllowedNetworks);
  const trustedProxies = parseCidrList(config.trustedProxies);
  const retryDefaults = {
    maxAttempts: Math.max(1, config.webhook.maxRetries),
    initialDelayMs: config.webhook.retryDelayMs,
  };

  const worker = config.roles.includes('worker')
    ? createDeliveryWorker({
        db,
        sealer,
        events,
        platformAllowedNetworks,
        retryDefaults,
        defaultTimeoutMs: config.webhook.timeoutMs,
        concurrency: config.webhook.queueConcurrency,
        perSubscriptionConcurrency: Math.min(16, config.webhook.queueConcurrency),
        perTargetConcurrency: config.webhook.targetConcurrency,
        perTargetRatePerSecond: config.webhook.targetRatePerSecond,
        retentionDays: config.metricsRetentionDays,
        soleWorker: db.mode === 'embedded',
        log,
        ...deps.worker,
      })
    : undefined;
  const nudge = () => worker?.nudge();

  const fanout = createFanout(db, {
    retryDefaults,
    onError: (error, context) => log?.warn({ err: error }, context),
  });
  const cache = createEndpointCache(db, sealer);
  const rejections = createRejectionLog(db, { log });
  const store = createInboundStore(db);
  const receiver = createReceiver({
    db,
    events,
    cache,
    fanout,
    store,
    rejections,
    trustedProxies,
    steps: deps.steps,
    onStored: nudge,
  });
  const listener = listenForEvents(db, events, fanout, { onEnqueued: nudge, log });
  const unsubscribe = events.subscribe('webhook.config_changed', (event) => {
    const change = event.data as { tenantId: string; kind: string; id: string; slug?: string };
    if (change.kind === 'endpoint') cache.invalidate(change);
    else fanout.invalidate(change.tenantId);
  });
  const counterTimer = setInterval(
    () =>
      void receiver
        .flushCounters()
        .catch((error) => log?.warn({ err: error }, 'writing endpoint counters failed')),
    1_000,
  );
  counterTimer.unref();
  worker?.start();

  return {
    endpoints: createEndpointAdmin(db, sealer, events),
    subscriptions: createSubscriptionAdmin(db, sealer, events, {
      platformAllowedNetworks,
      defaultTimeoutSeconds: Math.max(1, Math.ceil(config.webhook.timeoutMs / 1000)),
    }),
    deliveries: createDeliveryLog(db, { retryDefaults, nudge }),
    receiver,
    worker,
    async close() {
      unsubscribe();
      clearInterval(counterTimer);
      await listener.close();
      await worker?.stop();
      await rejections.close();
      await receiver.flushCounters().catch(() => {});
    },
  };
}
