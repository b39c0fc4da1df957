/**
 * The delivery worker: claims due rows of webhook_deliveries (`FOR UPDATE SKIP LOCKED`, a lease per
 * claim), sends them concurrently (caps per node, per subscription and per target, so one slow receiver
 * cannot take every slot), and records outcomes in batches. No transaction is open while a request is in flight.
 *
 * A claim counts as an attempt: a worker that dies mid-delivery leaves a lease that expires, another
 * worker takes the row again as the next attempt, with the same `webhook-id` (at-least-once). Claiming,
 * completing and the reaper are one query each over both PGlite and PostgreSQL.
 */
import type { Agent } from 'undici';
import { parseRetryAfter } from '../../gateway/retry.js';
import { createGuardedDispatcher } from '../../gateway/ssrf.js';
import { systemContext } from '../../platform/auth/system.js';
import { isEnvelope, type Sealer } from '../../platform/crypto.js';
import type { Database } from '../../platform/db/client.js';
import type { EventBus } from '../../platform/events.js';
import { type CidrList, parseCidrList } from '../../platform/net/cidr.js';
import {
  activeSecrets,
  auditSecretsOpened,
  openFor,
  SUBSCRIPTION_SECRET_COLUMN,
  type SubscriptionSecrets,
} from '../secrets.js';
import { nextDelayMs, type RetryConfig, type RetryDefaults } from './retry-schedule.js';
import { type SendOutcome, type SendRequest, send as sendOverHttp } from './sender.js';
import { createTargetGate, originOf } from './target-gate.js';

export interface WorkerOptions {
  readonly db: Database;
  readonly sealer: Sealer;
  readonly events: EventBus;
  readonly platformAllowedNetworks: CidrList;
  readonly retryDefaults: RetryDefaults;
  readonly defaultTimeoutMs: number;
  /** Deliveries in flight on this node (INTEGRATION_QUEUE_CONCURRENCY). */
  readonly concurrency?: number;
  /** Deliveries in flight per subscription on this node. */
  readonly perSubscriptionConcurrency?: number;
  /** Deliveries in flight per target origin on this node (WEBHOOK_TARGET_CONCURRENCY). */
  readonly perTargetConcurrency?: number;
  /** Deliveries started per second per target origin on this node; 0: no cap (WEBHOOK_TARGET_RATE). */
  readonly perTargetRatePerSecond?: number;
  readonly pollIntervalMs?: number;
  /** How often expired leases are looked for. */
  readonly reapIntervalMs?: number;
  /**
   * How long a claim lasts without being renewed. Rows this worker holds (in flight or waiting for a
   * slot) are renewed every third of it, so it bounds how long a dead worker's rows wait, not how long
   * a delivery may take.
   */
  readonly leaseMs?: number;
  /**
   * This worker is the only one that can hold leases (the embedded database: its data-directory lock
   * admits one process, and in a cluster only worker 0 delivers), so at start every `delivering` row is
   * a dead process's and is taken back at once rather than when its lease expires.
   */
  readonly soleWorker?: boolean;
  /** How long a subscription may fail without a single success before it is disabled (default 5 days). */
  readonly disableAfterMs?: number;
  /** Records older than this are purged (API_METRICS_RETENTION_DAYS). */
  readonly retentionDays?: number;
  readonly log?: {
    warn(object: unknown, message: string): void;
    error(object: unknown, message: string): void;
  };
  /** Replaceable in tests. */
  readonly send?: (request: SendRequest) => Promise<SendOutcome>;
}

interface ClaimedRow {
  id: string;
  tenant_id: string;
  subscription_id: string;
  event_type: string;
  payload: unknown;
  message_id: string | null;
  attempt_number: number;
  max_attempts: number;
}

interface SubscriptionRow {
  id: string;
  tenant_id: string;
  target_url: string;
  headers: Record<string, string> | null;
  authentication: unknown;
  retry_config: RetryConfig | null;
  timeout_seconds: number;
  is_active: boolean;
  updated_at: Date;
  settings: { allowedNetworks?: string[] } | null;
}

interface Completion {
  id: string;
  tenantId: string;
  subscriptionId: string;
  eventType: string;
  attempt: number;
  status: 'delivered' | 'pending' | 'failed';
  targetUrl: string;
  nextRetryAt: string | null;
  outcome: SendOutcome | null;
  error: string | null;
  /** 410 Gone: the receiver asked us to stop. */
  gone: boolean;
}

const CLAIM_SQL = `
WITH due AS (
  SELECT id FROM webhook_deliveries
  WHERE status = 'pending' AND next_retry_at <= now() AND subscription_id IS NOT NULL
    AND NOT (subscription_id = ANY($2::uuid[]))
  ORDER BY next_retry_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries d
SET status = 'delivering',
    lease_expires_at = now() + make_interval(secs => $3::double precision),
    attempt_number = CASE WHEN d.last_attempt_at IS NULL THEN d.attempt_number ELSE d.attempt_number + 1 END,
    last_attempt_at = now()
FROM due
WHERE d.id = due.id
RETURNING d.id, d.tenant_id, d.subscription_id, d.event_type, d.payload, d.message_id, d.attempt_number, d.max_attempts`;

/** Claims and reads each claimed row's subscription (and tenant settings) in one round trip. */
const CLAIM_WITH_SUBSCRIPTIONS_SQL = `
WITH claimed AS (${CLAIM_SQL})
SELECT c.*, s.id AS s_id, s.target_url AS s_target_url, s.headers AS s_headers,
       s.authentication AS s_authentication, s.retry_config AS s_retry_config,
       s.timeout_seconds AS s_timeout_seconds, s.is_active AS s_is_active, s.updated_at AS s_updated_at,
       t.settings AS s_settings
FROM claimed c
LEFT JOIN webhook_subscriptions s ON s.id = c.subscription_id
LEFT JOIN tenants t ON t.id = c.tenant_id`;

/**
 * The reaper: a lease that expired belongs to a worker that died (or lost its database). The row goes back
 * to pending; since it has a last_attempt_at, the next claim counts a new attempt.
 */
const REAP_SQL = `
UPDATE webhook_deliveries SET status = 'pending', lease_expires_at = NULL, next_retry_at = now()
WHERE id IN (
  SELECT id FROM webhook_deliveries WHERE status = 'delivering' AND (lease_expires_at < now() OR $1)
  LIMIT 1000 FOR UPDATE SKIP LOCKED)
RETURNING id`;

/**
 * Recording a batch of outcomes is one statement (so one round trip and one implicit transaction): the
 * rows' new state, the attempt log and the subscriptions' counters. A row whose lease was taken over by
 * another worker (its attempt number moved on) is not overwritten; its attempt is still logged.
 */
const COMPLETE_SQL = `
WITH outcome AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, tenant_id uuid, subscription_id uuid, attempt int,
    status text, target_url text, request_headers jsonb, response_status int, response_headers jsonb,
    response_body text, duration_ms int, error text, next_retry_at timestamptz, attempted boolean)
),
done AS (
  UPDATE webhook_deliveries d
  SET status = o.status,
      target_url = o.target_url,
      request_headers = o.request_headers,
      response_status = o.response_status,
      response_headers = o.response_headers,
      response_body = o.response_body,
      delivery_time = o.duration_ms,
      error_message = o.error,
      next_retry_at = o.next_retry_at,
      lease_expires_at = NULL,
      delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE d.delivered_at END
  FROM outcome o
  WHERE d.id = o.id AND d.status = 'delivering' AND d.attempt_number = o.attempt
  RETURNING d.id
),
attempts AS (
  INSERT INTO webhook_delivery_attempts (tenant_id, delivery_id, attempt_number, request_headers, response_status,
    response_headers, response_body, duration_ms, error_message)
  SELECT o.tenant_id, o.id, o.attempt, o.request_headers, o.response_status, o.response_headers, o.response_body,
    o.duration_ms, o.error
  FROM outcome o WHERE o.attempted
),
stats AS (
  UPDATE webhook_subscriptions s
  SET send_count = s.send_count + v.sent,
      success_count = s.success_count + v.ok,
      failure_count = s.failure_count + v.failed,
      last_sent = now(),
      failing_since = CASE WHEN v.last_ok THEN NULL ELSE coalesce(s.failing_since, now()) END
  FROM jsonb_to_recordset($2::jsonb) AS v(id uuid, sent int, ok int, failed int, last_ok boolean)
  WHERE s.id = v.id
)
SELECT id FROM done`;

/**
 * Hands claimed rows back to the queue without counting their claim as an attempt: rows not started at a
 * clean stop (delay 0) and rows a target's cap turned away (deferred a little).
 */
const RELEASE_SQL = `
UPDATE webhook_deliveries d
SET status = 'pending', lease_expires_at = NULL,
    next_retry_at = now() + make_interval(secs => v.delay_ms / 1000),
    attempt_number = greatest(d.attempt_number - 1, 1),
    last_attempt_at = CASE WHEN d.attempt_number <= 1 THEN NULL ELSE d.last_attempt_at END
FROM unnest($1::uuid[], $2::double precision[]) AS v(id, delay_ms)
WHERE d.id = v.id AND d.status = 'delivering'`;

const DISABLE_SQL = `
UPDATE webhook_subscriptions
SET is_active = false, disabled_reason = $2, updated_at = now()
WHERE id = ANY($1::uuid[]) AND is_active AND ($3::double precision IS NULL OR failing_since < now() - make_interval(secs => $3::double precision))
RETURNING id, tenant_id`;

/** Who decrypts a subscription's secrets to deliver, in the audit log. */
const WORKER_CONTEXT = systemContext('system:webhook-worker');

export function createDeliveryWorker(options: WorkerOptions) {
  const { db } = options;
  const concurrency = options.concurrency ?? 64;
  const perSubscription = options.perSubscriptionConcurrency ?? 16;
  const gate = createTargetGate<{ row: ClaimedRow; subscription: SubscriptionRow }>({
    concurrency: options.perTargetConcurrency ?? 16,
    ratePerSecond: options.perTargetRatePerSecond ?? 0,
    onReady(origin, { row, subscription }) {
      queued--;
      launch(row, subscription, origin);
    },
  });
  /** Which subscriptions point at which target, as last claimed: a closed target's are left out of claims. */
  const subscriptionsByOrigin = new Map<string, Set<string>>();
  const originBySubscription = new Map<string, string>();
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const leaseMs = options.leaseMs ?? 30_000;
  /** Claimed rows this worker holds: renewed while held, released on stop if not started. */
  const held = new Set<string>();
  const disableAfterSeconds = (options.disableAfterMs ?? 5 * 86_400_000) / 1000;
  const sendRequest = options.send ?? sendOverHttp;

  const dispatchers = new Map<string, Agent>();
  const secretsCache = new Map<
    string,
    { version: number; secrets: Promise<SubscriptionSecrets | undefined> }
  >();
  const inflightBySubscription = new Map<string, number>();
  /** Claimed rows waiting for a slot of their subscription (a claim can overshoot the per-subscription cap). */
  const backlog = new Map<string, { row: ClaimedRow; subscription: SubscriptionRow | undefined }[]>();
  let queued = 0;
  let inflight = 0;
  let running = false;
  let reclaimed: Promise<void> = Promise.resolve();
  let ticking = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let cleanupTimer: NodeJS.Timeout | undefined;
  let reapTimer: NodeJS.Timeout | undefined;
  let buffer: Completion[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let deferrals: { id: string; delayMs: number }[] = [];
  let deferTimer: NodeJS.Timeout | undefined;
  /** Claims scheduled for when deferred rows come due (in 25 ms steps), so they need not wait for a poll. */
  const wakeups = new Map<number, NodeJS.Timeout>();
  const idleWaiters: (() => void)[] = [];

  function dispatcherFor(settings: SubscriptionRow['settings']): Agent {
    let tenantList: CidrList = [];
    try {
      tenantList = parseCidrList(settings?.allowedNetworks ?? []);
    } catch {
      // A bad tenant list opens nothing.
    }
    const networks = [...options.platformAllowedNetworks, ...tenantList];
    const key = networks.map((network) => network.text).join(',');
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
      // One pool per distinct allow-list: pooled sockets are reused without a new check.
      dispatcher = createGuardedDispatcher({
        allowedNetworks: networks,
        agentOptions: { connections: 64, keepAliveTimeout: 10_000 },
      });
      dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }

  /**
   * A subscription's signing secrets and target credentials, decrypted once per change of the
   * subscription and kept for its deliveries. Like the gateway's connection cache, the decryption is
   * audited when the cache is filled (in the subscription's tenant log, by `system:webhook-worker`),
   * not per delivery: the hot path writes nothing for it.
   */
  function secretsOf(row: SubscriptionRow): Promise<SubscriptionSecrets | undefined> {
    const version = row.updated_at.getTime();
    const cached = secretsCache.get(row.id);
    if (cached && cached.version === version) return cached.secrets;
    const secrets = openSecrets(row);
    secretsCache.set(row.id, { version, secrets });
    // A failed fill (the audit entry could not be written) is tried again by the next delivery.
    secrets.catch(() => {
      if (secretsCache.get(row.id)?.secrets === secrets) secretsCache.delete(row.id);
    });
    return secrets;
  }

  async function openSecrets(row: SubscriptionRow): Promise<SubscriptionSecrets | undefined> {
    if (!isEnvelope(row.authentication)) return undefined;
    await db.withTenant(row.tenant_id, (tx) =>
      auditSecretsOpened(
        tx,
        WORKER_CONTEXT,
        'webhook_subscription',
        { id: row.id },
        'delivery',
        row.tenant_id,
      ),
    );
    return openFor<SubscriptionSecrets>(
      options.sealer,
      SUBSCRIPTION_SECRET_COLUMN,
      row.id,
      row.authentication,
    );
  }

  async function claim(
    limit: number,
  ): Promise<{ rows: ClaimedRow[]; subscriptions: Map<string, SubscriptionRow> }> {
    const saturated = [...new Set([...inflightBySubscription.keys(), ...backlog.keys()])].filter(
      (id) => (inflightBySubscription.get(id) ?? 0) + (backlog.get(id)?.length ?? 0) >= perSubscription,
    );
    for (const origin of gate.closed()) saturated.push(...(subscriptionsByOrigin.get(origin) ?? []));
    const claimed = await db.pool.query<ClaimedRow & Record<`s_${string}`, unknown>>(
      CLAIM_WITH_SUBSCRIPTIONS_SQL,
      [limit, saturated, leaseMs / 1000],
    );
    const subscriptions = new Map<string, SubscriptionRow>();
    for (const row of claimed.rows) {
      held.add(row.id);
      if (row.s_id === null || subscriptions.has(row.subscription_id)) continue;
      noteOrigin(row.subscription_id, originOf(row.s_target_url as string));
      subscriptions.set(row.subscription_id, {
        id: row.subscription_id,
        tenant_id: row.tenant_id,
        target_url: row.s_target_url as string,
        headers: row.s_headers as SubscriptionRow['headers'],
        authentication: row.s_authentication,
        retry_config: row.s_retry_config as SubscriptionRow['retry_config'],
        timeout_seconds: row.s_timeout_seconds as number,
        is_active: row.s_is_active as boolean,
        updated_at: row.s_updated_at as Date,
        settings: row.s_settings as SubscriptionRow['settings'],
      });
    }
    return { rows: claimed.rows, subscriptions };
  }

  function noteOrigin(subscriptionId: string, origin: string): void {
    const previous = originBySubscription.get(subscriptionId);
    if (previous === origin) return;
    if (previous) subscriptionsByOrigin.get(previous)?.delete(subscriptionId);
    // A hint for claims only: forgetting it costs a few deferrals, so it is bounded by a reset.
    if (originBySubscription.size >= 10_000) {
      originBySubscription.clear();
      subscriptionsByOrigin.clear();
    }
    originBySubscription.set(subscriptionId, origin);
    const set = subscriptionsByOrigin.get(origin) ?? new Set<string>();
    set.add(subscriptionId);
    subscriptionsByOrigin.set(origin, set);
  }

  /** A row its target cannot take now goes back to the queue, due in `delayMs`; written in batches. */
  function defer(row: ClaimedRow, delayMs: number): void {
    deferrals.push({ id: row.id, delayMs });
    if (deferrals.length >= 100) void flushDeferrals();
    else deferTimer ??= setTimeout(() => void flushDeferrals(), 5);
  }

  /** A claim once rows released `delayMs` ago come due (counted from after the write, so never early). */
  function wakeIn(delayMs: number): void {
    const at = Math.ceil((Date.now() + delayMs) / 25) * 25;
    if (!running || wakeups.has(at)) return;
    const wakeup = setTimeout(() => {
      wakeups.delete(at);
      void tick();
    }, at - Date.now());
    wakeup.unref();
    wakeups.set(at, wakeup);
  }

  async function flushDeferrals(): Promise<void> {
    if (deferTimer) clearTimeout(deferTimer);
    deferTimer = undefined;
    const batch = deferrals;
    deferrals = [];
    if (batch.length === 0) return;
    try {
      await release(batch);
      for (const entry of batch) wakeIn(entry.delayMs);
    } catch (error) {
      // Their leases expire and the reaper hands them back (then counted as an attempt): late, not lost.
      options.log?.warn({ err: error, count: batch.length }, 'deferring webhook deliveries failed');
    } finally {
      for (const entry of batch) held.delete(entry.id);
    }
  }

  function complete(completion: Completion): void {
    held.delete(completion.id);
    buffer.push(completion);
    if (buffer.length >= 100) {
      void flush();
    } else {
      flushTimer ??= setTimeout(() => void flush(), 5);
    }
  }

  function flush(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return flushing;
    flushing = flushing.then(() =>
      writeCompletions(batch).catch((error) => {
        // The rows keep their leases and are taken again when they expire: nothing is lost, only repeated.
        options.log?.error({ err: error, count: batch.length }, 'recording webhook deliveries failed');
      }),
    );
    return flushing;
  }

  async function writeCompletions(batch: Completion[]): Promise<void> {
    const outcomes = batch.map((c) => ({
      id: c.id,
      tenant_id: c.tenantId,
      subscription_id: c.subscriptionId,
      attempt: c.attempt,
      status: c.status,
      target_url: c.targetUrl,
      request_headers: c.outcome?.requestHeaders ?? null,
      response_status: c.outcome?.status ?? null,
      response_headers: c.outcome?.responseHeaders ?? null,
      response_body: c.outcome?.responseBody ?? null,
      duration_ms: c.outcome?.durationMs ?? null,
      error: c.error,
      next_retry_at: c.nextRetryAt,
      attempted: c.outcome !== null,
    }));
    const stats = new Map<
      string,
      { id: string; sent: number; ok: number; failed: number; last_ok: boolean }
    >();
    for (const c of batch) {
      if (c.outcome === null) continue;
      const entry = stats.get(c.subscriptionId) ?? {
        id: c.subscriptionId,
        sent: 0,
        ok: 0,
        failed: 0,
        last_ok: false,
      };
      entry.sent++;
      if (c.status === 'delivered') entry.ok++;
      else entry.failed++;
      entry.last_ok = c.status === 'delivered';
      stats.set(c.subscriptionId, entry);
    }
    const updated = await db.pool.query<{ id: string }>(COMPLETE_SQL, [
      JSON.stringify(outcomes),
      JSON.stringify([...stats.values()]),
    ]);
    const applied = new Set(updated.rows.map((row) => row.id));

    // After the counters committed: the failure streak is read as just written.
    const disabled: { id: string; tenant_id: string; reason: string }[] = [];
    const goneIds = [...new Set(batch.filter((c) => c.gone).map((c) => c.subscriptionId))];
    if (goneIds.length) {
      const reason = 'the receiver answered 410 Gone';
      const gone = await db.pool.query<{ id: string; tenant_id: string }>(DISABLE_SQL, [
        goneIds,
        reason,
        null,
      ]);
      disabled.push(...gone.rows.map((row) => ({ ...row, reason })));
    }
    const failingIds = [...stats.values()].filter((s) => !s.last_ok).map((s) => s.id);
    if (failingIds.length) {
      const reason = `every delivery failed for ${Math.round(disableAfterSeconds / 3600)} h`;
      const streak = await db.pool.query<{ id: string; tenant_id: string }>(DISABLE_SQL, [
        failingIds,
        reason,
        disableAfterSeconds,
      ]);
      disabled.push(...streak.rows.map((row) => ({ ...row, reason })));
    }

    for (const c of batch) {
      // A delivery deferred by a cap (no outcome) was not attempted.
      if (c.outcome !== null && applied.has(c.id)) {
        options.events.publish('webhook.delivery_attempted', {
          tenantId: c.tenantId,
          subscriptionId: c.subscriptionId,
          deliveryId: c.id,
          attempt: c.attempt,
          outcome: c.status === 'pending' ? 'retry_scheduled' : c.status,
          responseStatus: c.outcome.status ?? null,
        });
      }
      if (c.status === 'failed' && applied.has(c.id)) {
        options.events.publish('webhook.delivery_failed', {
          tenantId: c.tenantId,
          subscriptionId: c.subscriptionId,
          deliveryId: c.id,
          eventType: c.eventType,
          attempts: c.attempt,
          lastStatus: c.outcome?.status ?? null,
          error: c.error,
        });
      }
    }
    for (const row of disabled) {
      options.events.publish('webhook.subscription_disabled', {
        tenantId: row.tenant_id,
        subscriptionId: row.id,
        reason: row.reason,
      });
      options.events.publish('webhook.config_changed', {
        tenantId: row.tenant_id,
        kind: 'subscription',
        id: row.id,
      });
    }
  }

  async function deliver(row: ClaimedRow, subscription: SubscriptionRow | undefined): Promise<void> {
    const base = {
      id: row.id,
      tenantId: row.tenant_id,
      subscriptionId: row.subscription_id,
      eventType: row.event_type,
      attempt: row.attempt_number,
      targetUrl: subscription?.target_url ?? '',
      gone: false,
    };
    const giveUp = (error: string) =>
      complete({ ...base, status: 'failed', nextRetryAt: null, outcome: null, error });
    if (!subscription) return giveUp('the subscription no longer exists');
    if (!subscription.is_active) return giveUp('the subscription is disabled');
    if (row.attempt_number > row.max_attempts) return giveUp('the last attempt did not finish (worker lost)');
    // Decrypted only for a delivery that will be attempted.
    const secrets = await secretsOf(subscription);
    const signing = activeSecrets(secrets?.signing ?? []);
    if (signing.length === 0) return giveUp('the subscription has no signing secret');

    const timeoutMs = subscription.timeout_seconds * 1000 || options.defaultTimeoutMs;
    const outcome = await sendRequest({
      url: subscription.target_url,
      messageId: row.message_id ?? `msg_${row.id.replaceAll('-', '')}`,
      eventType: row.event_type,
      subscriptionId: row.subscription_id,
      payload: row.payload,
      signingSecrets: signing,
      target: secrets?.target ?? { type: 'none' },
      headers: subscription.headers ?? {},
      timeoutMs,
      dispatcher: dispatcherFor(subscription.settings),
    });
    const ok = outcome.status !== null && outcome.status >= 200 && outcome.status < 300;
    if (ok) return complete({ ...base, status: 'delivered', nextRetryAt: null, outcome, error: null });
    const gone = outcome.status === 410;
    const error = outcome.error ?? `the receiver answered ${outcome.status}`;
    // A refused target will be refused again, and a 410 asks us to stop: neither is worth a retry.
    if (gone || outcome.forbidden || row.attempt_number >= row.max_attempts) {
      return complete({ ...base, status: 'failed', nextRetryAt: null, outcome, error, gone });
    }
    const retryAfterMs =
      outcome.status === 429 || outcome.status === 503
        ? parseRetryAfter(outcome.responseHeaders?.['retry-after'], Date.now())
        : undefined;
    const delay = nextDelayMs(
      subscription.retry_config,
      options.retryDefaults,
      row.attempt_number,
      retryAfterMs,
    );
    complete({
      ...base,
      status: 'pending',
      nextRetryAt: new Date(Date.now() + delay).toISOString(),
      outcome,
      error,
    });
  }

  function track(subscriptionId: string, change: 1 | -1): void {
    const count = (inflightBySubscription.get(subscriptionId) ?? 0) + change;
    if (count <= 0) inflightBySubscription.delete(subscriptionId);
    else inflightBySubscription.set(subscriptionId, count);
    inflight += change;
  }

  function startNext(subscriptionId: string): void {
    const waiting = backlog.get(subscriptionId);
    while (
      waiting &&
      waiting.length > 0 &&
      (inflightBySubscription.get(subscriptionId) ?? 0) < perSubscription
    ) {
      const { row, subscription } = waiting.shift()!;
      queued--;
      start(row, subscription);
    }
    if (waiting && waiting.length === 0) backlog.delete(subscriptionId);
  }

  function start(row: ClaimedRow, subscription: SubscriptionRow | undefined): void {
    // Only a real request takes a target slot; a delivery that will be given up does not.
    if (!subscription?.is_active) {
      launch(row, subscription, undefined);
      return;
    }
    const origin = originOf(subscription.target_url);
    const admission = gate.admit(origin, { row, subscription });
    if (admission === 'held') queued++;
    else if (admission === 'go') launch(row, subscription, origin);
    else defer(row, admission);
  }

  function launch(
    row: ClaimedRow,
    subscription: SubscriptionRow | undefined,
    origin: string | undefined,
  ): void {
    track(row.subscription_id, 1);
    deliver(row, subscription)
      .catch((error) => options.log?.error({ err: error, deliveryId: row.id }, 'webhook delivery crashed'))
      .finally(() => {
        if (origin !== undefined) gate.release(origin);
        track(row.subscription_id, -1);
        startNext(row.subscription_id);
        if (inflight === 0 && queued === 0) for (const wake of idleWaiters.splice(0)) wake();
        // Claim again once a useful share of the slots is free, not after every single completion, and
        // not while this subscription still has claimed rows waiting (a claim would skip it: wasted).
        if (
          !backlog.has(row.subscription_id) &&
          concurrency - inflight - queued >= Math.max(1, Math.floor(concurrency / 4))
        )
          nudge();
      });
  }

  async function claimAndStart(): Promise<void> {
    await reclaimed;
    const free = concurrency - inflight - queued;
    if (free <= 0) return;
    const limit = Math.min(free, 100);
    const { rows, subscriptions } = await claim(limit);
    for (const row of rows) {
      const waiting = backlog.get(row.subscription_id) ?? [];
      waiting.push({ row, subscription: subscriptions.get(row.subscription_id) });
      backlog.set(row.subscription_id, waiting);
      queued++;
    }
    for (const id of new Set(rows.map((row) => row.subscription_id))) startNext(id);
    if (rows.length > 0 && rows.length === limit) again = true;
  }

  async function tick(): Promise<void> {
    if (!running) return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = true;
    try {
      do {
        again = false;
        await claimAndStart();
      } while (again && running);
    } catch (error) {
      options.log?.warn({ err: error }, 'claiming webhook deliveries failed; retrying at the next poll');
    } finally {
      ticking = false;
    }
  }

  function nudge(): void {
    if (running) setImmediate(() => void tick());
  }

  /** Renews the leases of the rows this worker holds. */
  async function renew(): Promise<void> {
    if (held.size === 0) return;
    try {
      await db.pool.query(
        `UPDATE webhook_deliveries SET lease_expires_at = now() + make_interval(secs => $2::double precision)
         WHERE id = ANY($1::uuid[]) AND status = 'delivering'`,
        [[...held], leaseMs / 1000],
      );
    } catch (error) {
      options.log?.warn({ err: error }, 'renewing webhook delivery leases failed');
    }
  }

  /** Hands claimed rows that were never started back to the queue, their attempt not counted. */
  async function release(rows: { id: string; delayMs: number }[]): Promise<void> {
    if (rows.length === 0) return;
    await db.pool.query(RELEASE_SQL, [rows.map((row) => row.id), rows.map((row) => row.delayMs)]);
  }

  /** `all`: every `delivering` row, leased or not (at the start of a sole worker). */
  async function reap(all = false): Promise<void> {
    try {
      const reaped = await db.pool.query(REAP_SQL, [all]);
      if (all && reaped.rows.length === 1000) return reap(true);
      if (reaped.rows.length > 0) {
        options.log?.warn(
          { count: reaped.rows.length },
          'webhook deliveries whose worker was lost are due again',
        );
        nudge();
      }
    } catch (error) {
      options.log?.warn({ err: error }, 'reaping expired webhook delivery leases failed');
    }
  }

  async function cleanup(): Promise<void> {
    const days = options.retentionDays ?? 30;
    try {
      await db.pool.query('DELETE FROM webhook_inbound_dedup WHERE expires_at < now()');
      await db.pool.query(
        `DELETE FROM webhook_rejections WHERE window_start < now() - make_interval(days => $1::int)`,
        [days],
      );
      await db.pool.query(
        `DELETE FROM webhook_deliveries WHERE status IN ('delivered', 'failed', 'received', 'filtered')
           AND created_at < now() - make_interval(days => $1::int)`,
        [days],
      );
    } catch (error) {
      options.log?.warn({ err: error }, 'webhook retention cleanup failed');
    }
  }

  return {
    start(): void {
      if (running) return;
      running = true;
      timer = setInterval(() => void tick(), pollIntervalMs);
      cleanupTimer = setInterval(() => void cleanup(), 10 * 60_000);
      reapTimer = setInterval(
        () => {
          void renew();
          void reap();
        },
        options.reapIntervalMs ?? Math.min(5_000, leaseMs / 3),
      );
      timer.unref();
      cleanupTimer.unref();
      reapTimer.unref();
      // Claims wait for it: a sole worker must not take back rows it has just claimed itself.
      reclaimed = reap(options.soleWorker);
      nudge();
    },
    /** Something was enqueued: look now rather than at the next poll. */
    nudge,
    /** Stops claiming, waits (bounded) for deliveries in flight, records them. */
    async stop(waitMs = 10_000): Promise<void> {
      running = false;
      if (timer) clearInterval(timer);
      if (cleanupTimer) clearInterval(cleanupTimer);
      if (reapTimer) clearInterval(reapTimer);
      for (const wakeup of wakeups.values()) clearTimeout(wakeup);
      wakeups.clear();
      // Rows waiting for a slot go back to the queue at once rather than when their lease expires.
      const waiting = [...backlog.values(), gate.takeHeld()].flat().map((entry) => entry.row);
      backlog.clear();
      queued = 0;
      await release(waiting.map((row) => ({ id: row.id, delayMs: 0 }))).catch((error) =>
        options.log?.warn({ err: error }, 'releasing claimed deliveries failed'),
      );
      for (const row of waiting) held.delete(row.id);
      await flushDeferrals();
      if (inflight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => idleWaiters.push(resolve)),
          new Promise((resolve) => setTimeout(resolve, waitMs).unref()),
        ]);
      }
      await flush();
      await flushDeferrals();
      await Promise.all([...dispatchers.values()].map((dispatcher) => dispatcher.close().catch(() => {})));
      dispatchers.clear();
    },
    get inflight(): number {
      return inflight;
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
