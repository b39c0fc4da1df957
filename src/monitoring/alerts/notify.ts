/**
 * Alert notifications. Email goes through the tenant's email connection (the connector's `send`
 * action: SMTP settings and credentials stay sealed on the connection, the send is an audited,
 * recorded action run). Slack, Microsoft Teams and generic webhooks are POSTed directly through the
 * SSRF-guarded dispatcher with a short retry (3 attempts). Subscribers who want the durable outbound
 * queue (signed, retried for hours) subscribe to `alert.triggered` / `alert.resolved` in the webhooks
 * module instead: the events are on the bus either way.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, request } from 'undici';
import type { RequestContext } from '../../platform/audit.js';
import { schedulerContext } from '../jobs.js';
import type { Channel, RuleRow, Severity } from './rules.js';

export type ActionRunnerFn = (
  context: RequestContext,
  tenantId: string,
  connectionId: string,
  action: string,
  input: unknown,
) => Promise<unknown>;

export interface Notice {
  kind: 'triggered' | 'resolved' | 'repeat';
  eventId: string;
  severity: Severity | string;
  message: string;
  value: number | null;
  threshold: number;
  time: string;
}

export interface ChannelResult {
  type: Channel['type'];
  ok: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

const COLORS: Record<string, string> = {
  info: '2E86DE',
  warning: 'F39C12',
  error: 'E74C3C',
  critical: '8E0000',
};

function title(rule: RuleRow, notice: Notice): string {
  const head = notice.kind === 'resolved' ? 'RESOLVED' : notice.severity.toUpperCase();
  return `[KRYONIX ${head}] ${rule.alertName}`;
}

function bodyFor(channel: Channel, rule: RuleRow, notice: Notice): unknown {
  const text = `${title(rule, notice)}: ${notice.message}`;
  switch (channel.type) {
    case 'slack':
      return { text };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: title(rule, notice),
        themeColor: notice.kind === 'resolved' ? '27AE60' : (COLORS[notice.severity] ?? 'F39C12'),
        title: title(rule, notice),
        text: notice.message,
      };
    default:
      return {
        type: notice.kind === 'resolved' ? 'alert.resolved' : 'alert.triggered',
        alert: { id: rule.id, name: rule.alertName, type: rule.alertType },
        event: {
          id: notice.eventId,
          severity: notice.severity,
          message: notice.message,
          value: notice.value,
          threshold: notice.threshold,
          repeat: notice.kind === 'repeat',
        },
        timestamp: notice.time,
      };
  }
}

export function createNotifier(deps: {
  dispatcher: Dispatcher;
  runAction: ActionRunnerFn;
  timeoutMs?: number;
  retryDelaysMs?: number[];
}) {
  const delays = deps.retryDelaysMs ?? [500, 2000];
  const timeoutMs = deps.timeoutMs ?? 10_000;

  async function post(channel: Extract<Channel, { url: string }>, body: unknown): Promise<ChannelResult> {
    let last: ChannelResult = { type: channel.type, ok: false, attempts: 0 };
    for (let attempt = 1; attempt <= delays.length + 1; attempt++) {
      try {
        const response = await request(channel.url, {
          method: 'POST',
          dispatcher: deps.dispatcher,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'KRYONIX-Alerts/1.0',
            ...channel.headers,
          },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.body.dump();
        last = {
          type: channel.type,
          ok: response.statusCode < 300,
          attempts: attempt,
          status: response.statusCode,
        };
        if (last.ok || (response.statusCode < 500 && response.statusCode !== 429)) return last;
      } catch (error) {
        last = {
          type: channel.type,
          ok: false,
          attempts: attempt,
          error: error instanceof Error ? error.message : String(error),
        };
      }
      if (attempt <= delays.length) await sleep(delays[attempt - 1]);
    }
    return last;
  }

  async function send(
    channel: Channel,
    tenantId: string,
    rule: RuleRow,
    notice: Notice,
  ): Promise<ChannelResult> {
    if (channel.type !== 'email') return post(channel, bodyFor(channel, rule, notice));
    try {
      await deps.runAction(schedulerContext(tenantId), tenantId, channel.connectionId, 'send', {
        to: channel.to,
        subject: title(rule, notice),
        text: `${notice.message}\n\nRule: ${rule.alertName} (${rule.alertType})\nValue: ${notice.value ?? 'n/a'}\nThreshold: ${notice.threshold}\nTime: ${notice.time}\n`,
      });
      return { type: 'email', ok: true, attempts: 1 };
    } catch (error) {
      return {
        type: 'email',
        ok: false,
        attempts: 1,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  return {
    notify(tenantId: string, rule: RuleRow, channels: Channel[], notice: Notice): Promise<ChannelResult[]> {
      return Promise.all(channels.map((channel) => send(channel, tenantId, rule, notice)));
    },
  };
}

export type Notifier = ReturnType<typeof createNotifier>;
