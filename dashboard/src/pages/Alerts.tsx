import { type FormEvent, useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import { MonitoringError } from '../components/Unavailable';
import { Badge, Card, ErrorBox, Field, formatNumber, Loading, PageHeader, Time } from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { t } from '../i18n';
import { useCanEdit } from '../role';
import { useStream } from '../stream';
import type { AlertChannel, AlertEvent, AlertRule, Connection, Subscription } from '../types';

const TYPES: Record<string, { label: string; unit: string; hint: string }> = {
  error_rate: { label: 'Error rate', unit: '%', hint: 'Percent of calls that failed in the window' },
  response_time: { label: 'Response time', unit: 'ms', hint: 'Average or p95 latency in the window' },
  rate_limit: {
    label: 'Rate-limit hits',
    unit: 'calls',
    hint: 'Calls refused by a rate limit in the window',
  },
  health_check: {
    label: 'Health check',
    unit: 'connections',
    hint: 'Connections unhealthy in scope (threshold usually 0)',
  },
  webhook_failures: {
    label: 'Webhook failures',
    unit: 'deliveries',
    hint: 'Dead-lettered deliveries in the window',
  },
  queue_backlog: { label: 'Queue backlog', unit: 'deliveries', hint: 'Due deliveries older than the window' },
};
const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const OPERATORS = ['gt', 'gte', 'lt', 'lte'];
const OPERATOR_TEXT: Record<string, string> = { gt: '>', gte: '≥', lt: '<', lte: '≤', eq: '=' };

export function AlertsPage() {
  const canEdit = useCanEdit();
  const [tick, setTick] = useState(0);
  const rules = useLoad(
    (signal) => api.get<Page<AlertRule>>(`${ADMIN}/alerts`, { limit: 200 }, signal),
    [tick],
  );
  const [creating, setCreating] = useState(false);
  const connections = useLoad(
    (signal) => api.get<Page<Connection>>(`${ADMIN}/connections`, { limit: 200 }, signal),
    [],
  );
  const scopeText = (rule: AlertRule) =>
    rule.scope.kind === 'all'
      ? 'all'
      : rule.scope.kind === 'connection'
        ? (connections.data?.items.find((item) => item.id === rule.scope.connectionId)?.name ??
          `connection ${rule.scope.connectionId?.slice(0, 8)}`)
        : `subscription ${rule.scope.subscriptionId?.slice(0, 8)}`;
  useStream((event) => {
    if (event.event === 'alert') setTick((value) => value + 1);
  });
  const toggle = useAction(async (rule: AlertRule) => {
    await api.patch(`${ADMIN}/alerts/${rule.id}`, { isActive: !rule.isActive });
    rules.reload();
  });
  const remove = useAction(async (rule: AlertRule) => {
    await api.del(`${ADMIN}/alerts/${rule.id}`);
    rules.reload();
  });

  return (
    <>
      <PageHeader
        title={t('nav.alerts')}
        actions={
          canEdit ? (
            <button
              type="button"
              className="primary"
              onClick={() => setCreating((value) => !value)}
              aria-expanded={creating}
            >
              {creating ? 'Cancel' : 'New alert rule'}
            </button>
          ) : undefined
        }
      >
        Rules evaluated every minute; a rule must hold for its “for” duration before it fires, and notifies
        once per firing.
      </PageHeader>
      {creating ? (
        <CreateRule
          onCreated={() => {
            setCreating(false);
            rules.reload();
          }}
        />
      ) : null}
      <Card title="Rules">
        <ErrorBox error={toggle.error ?? remove.error} />
        {rules.error && !rules.data ? (
          <MonitoringError error={rules.error} onRetry={rules.reload} />
        ) : !rules.data ? (
          <Loading />
        ) : rules.data.items.length === 0 ? (
          <div className="empty">
            No alert rules. Create one to be told when error rates, latency or webhook failures go wrong.
          </div>
        ) : (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Condition</th>
                  <th scope="col">Scope</th>
                  <th scope="col">Severity</th>
                  <th scope="col">State</th>
                  <th scope="col">Fired</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rules.data.items.map((rule) => (
                  <tr key={rule.id}>
                    <td>
                      {rule.name}
                      {rule.channels.length > 0 ? (
                        <div className="hint">
                          → {rule.channels.map((channel) => channel.type).join(', ')}
                        </div>
                      ) : null}
                    </td>
                    <td>
                      {TYPES[rule.type]?.label ?? rule.type}
                      {rule.condition.statistic && rule.type === 'response_time'
                        ? ` (${rule.condition.statistic})`
                        : ''}{' '}
                      {OPERATOR_TEXT[rule.condition.operator ?? 'gt'] ?? rule.condition.operator}{' '}
                      {rule.condition.threshold}
                      {TYPES[rule.type] ? ` ${TYPES[rule.type].unit}` : ''}
                      <div className="hint">
                        window {rule.condition.windowSeconds ?? '—'} s, for {rule.condition.forSeconds ?? 0} s
                        · now {rule.currentValue === null ? '—' : formatNumber(rule.currentValue, 2)}
                      </div>
                    </td>
                    <td>{scopeText(rule)}</td>
                    <td>
                      <Badge value={rule.severity} />
                    </td>
                    <td>
                      <Badge value={rule.isActive ? rule.state : 'inactive'} />
                    </td>
                    <td>
                      {rule.triggerCount} · <Time value={rule.lastTriggered} />
                    </td>
                    <td className="row-actions">
                      {canEdit ? (
                        <>
                          <button type="button" className="small" onClick={() => void toggle.run(rule)}>
                            {rule.isActive ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            className="small danger"
                            onClick={() => {
                              if (window.confirm(`Delete the alert rule "${rule.name}" and its events?`))
                                void remove.run(rule);
                            }}
                          >
                            Delete
                          </button>
                        </>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Events tick={tick} />
    </>
  );
}

function Events({ tick }: { tick: number }) {
  const canEdit = useCanEdit();
  const [state, setState] = useState<'firing' | 'resolved' | ''>('firing');
  const events = useLoad(
    (signal) => api.get<Page<AlertEvent>>(`${ADMIN}/alerts/events`, { state, limit: 100 }, signal),
    [state, tick],
  );
  const act = useAction(async (event: AlertEvent, action: 'acknowledge' | 'resolve') => {
    await api.post(`${ADMIN}/alerts/events/${event.id}/${action}`);
    events.reload();
  });
  return (
    <Card
      title="Events"
      actions={
        <select
          aria-label="Which events"
          value={state}
          onChange={(event) => setState(event.target.value as typeof state)}
        >
          <option value="firing">Firing</option>
          <option value="resolved">Resolved</option>
          <option value="">All</option>
        </select>
      }
    >
      <ErrorBox error={act.error} />
      {events.error && !events.data ? (
        <MonitoringError error={events.error} onRetry={events.reload} />
      ) : !events.data ? (
        <Loading />
      ) : events.data.items.length === 0 ? (
        <div className="empty">
          {state === 'firing' ? 'Nothing is firing. All quiet.' : 'No alert events.'}
        </div>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Rule</th>
                <th scope="col">Severity</th>
                <th scope="col">Message</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((event) => (
                <tr key={event.id}>
                  <td>
                    <Time value={event.createdAt} />
                  </td>
                  <td>{event.alertName}</td>
                  <td>
                    <Badge value={event.severity} />
                  </td>
                  <td>{event.message}</td>
                  <td>
                    {event.resolved ? (
                      <>
                        <Badge value="resolved" /> <Time value={event.resolvedAt} />
                      </>
                    ) : event.acknowledged ? (
                      <Badge
                        value="acknowledged"
                        label={`acknowledged${event.acknowledgedBy ? ` by ${event.acknowledgedBy}` : ''}`}
                      />
                    ) : (
                      <Badge value="firing" />
                    )}
                  </td>
                  <td className="row-actions">
                    {canEdit && !event.acknowledged && !event.resolved ? (
                      <button
                        type="button"
                        className="small"
                        onClick={() => void act.run(event, 'acknowledge')}
                        disabled={act.busy}
                      >
                        Acknowledge
                      </button>
                    ) : null}
                    {canEdit && !event.resolved ? (
                      <button
                        type="button"
                        className="small"
                        onClick={() => void act.run(event, 'resolve')}
                        disabled={act.busy}
                      >
                        Resolve
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

function CreateRule({ onCreated }: { onCreated: () => void }) {
  const connections = useLoad(
    (signal) => api.get<Page<Connection>>(`${ADMIN}/connections`, { limit: 200 }, signal),
    [],
  );
  const subscriptions = useLoad(
    (signal) => api.get<Page<Subscription>>(`${ADMIN}/webhooks/subscriptions`, { limit: 200 }, signal),
    [],
  );
  const [name, setName] = useState('');
  const [type, setType] = useState('error_rate');
  const [scopeKind, setScopeKind] = useState<'all' | 'connection' | 'subscription'>('all');
  const [scopeId, setScopeId] = useState('');
  const [operator, setOperator] = useState('gt');
  const [threshold, setThreshold] = useState('5');
  const [windowSeconds, setWindowSeconds] = useState('300');
  const [forSeconds, setForSeconds] = useState('120');
  const [statistic, setStatistic] = useState('avg');
  const [severity, setSeverity] = useState('error');
  const [channelType, setChannelType] = useState<'' | AlertChannel['type']>('');
  const [channelUrl, setChannelUrl] = useState('');
  const [emailConnection, setEmailConnection] = useState('');
  const [emailTo, setEmailTo] = useState('');

  const create = useAction(async () => {
    const channels: AlertChannel[] = [];
    if (channelType === 'email') {
      channels.push({
        type: 'email',
        connectionId: emailConnection,
        to: emailTo
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      });
    } else if (channelType) {
      channels.push({ type: channelType, url: channelUrl });
    }
    await api.post(`${ADMIN}/alerts`, {
      name,
      type,
      scope:
        scopeKind === 'all'
          ? { kind: 'all' }
          : scopeKind === 'connection'
            ? { kind: 'connection', connectionId: scopeId }
            : { kind: 'subscription', subscriptionId: scopeId },
      condition: {
        threshold: Number(threshold),
        operator,
        windowSeconds: Number(windowSeconds),
        forSeconds: Number(forSeconds),
        ...(type === 'response_time' ? { statistic } : {}),
      },
      severity,
      channels,
    });
    onCreated();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  const emailConnections = connections.data?.items.filter((item) => item.connectorId === 'email') ?? [];

  return (
    <Card title="New alert rule">
      <form onSubmit={submit} aria-label="New alert rule">
        <div className="grid three">
          <Field label="Name" htmlFor="al-name">
            <input id="al-name" required value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label="Watch" htmlFor="al-type" hint={TYPES[type]?.hint}>
            <select id="al-type" value={type} onChange={(event) => setType(event.target.value)}>
              {Object.entries(TYPES).map(([value, item]) => (
                <option key={value} value={value}>
                  {item.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Severity" htmlFor="al-severity">
            <select id="al-severity" value={severity} onChange={(event) => setSeverity(event.target.value)}>
              {SEVERITIES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label="Scope" htmlFor="al-scope">
            <select
              id="al-scope"
              value={scopeKind}
              onChange={(event) => {
                setScopeKind(event.target.value as typeof scopeKind);
                setScopeId('');
              }}
            >
              <option value="all">All connections</option>
              <option value="connection">One connection</option>
              <option value="subscription">One webhook subscription</option>
            </select>
          </Field>
          {scopeKind !== 'all' ? (
            <Field label={scopeKind === 'connection' ? 'Connection' : 'Subscription'} htmlFor="al-scope-id">
              <select
                id="al-scope-id"
                required
                value={scopeId}
                onChange={(event) => setScopeId(event.target.value)}
              >
                <option value="">Choose…</option>
                {(scopeKind === 'connection' ? connections.data?.items : subscriptions.data?.items)?.map(
                  (item) => (
                    <option key={item.id} value={item.id}>
                      {item.name}
                    </option>
                  ),
                )}
              </select>
            </Field>
          ) : null}
          {type === 'response_time' ? (
            <Field label="Statistic" htmlFor="al-stat">
              <select id="al-stat" value={statistic} onChange={(event) => setStatistic(event.target.value)}>
                <option value="avg">average</option>
                <option value="p95">p95</option>
              </select>
            </Field>
          ) : null}
          <Field label="Fires when value is" htmlFor="al-op">
            <select id="al-op" value={operator} onChange={(event) => setOperator(event.target.value)}>
              {OPERATORS.map((item) => (
                <option key={item} value={item}>
                  {OPERATOR_TEXT[item]} ({item})
                </option>
              ))}
            </select>
          </Field>
          <Field label={`Threshold (${TYPES[type]?.unit ?? ''})`} htmlFor="al-threshold">
            <input
              id="al-threshold"
              type="number"
              step="any"
              required
              value={threshold}
              onChange={(event) => setThreshold(event.target.value)}
            />
          </Field>
          <Field label="Window (seconds)" htmlFor="al-window">
            <input
              id="al-window"
              type="number"
              min={60}
              required
              value={windowSeconds}
              onChange={(event) => setWindowSeconds(event.target.value)}
            />
          </Field>
          <Field label="For (seconds)" htmlFor="al-for" hint="How long the condition must hold before firing">
            <input
              id="al-for"
              type="number"
              min={0}
              required
              value={forSeconds}
              onChange={(event) => setForSeconds(event.target.value)}
            />
          </Field>
        </div>
        <fieldset>
          <legend>Notify</legend>
          <div className="grid three">
            <Field label="Channel" htmlFor="al-channel">
              <select
                id="al-channel"
                value={channelType}
                onChange={(event) => setChannelType(event.target.value as typeof channelType)}
              >
                <option value="">Only record events</option>
                <option value="email">Email (through an email connection)</option>
                <option value="slack">Slack incoming webhook</option>
                <option value="teams">Microsoft Teams webhook</option>
                <option value="webhook">Webhook (POST JSON)</option>
              </select>
            </Field>
            {channelType === 'email' ? (
              <>
                <Field label="Email connection" htmlFor="al-email-conn">
                  <select
                    id="al-email-conn"
                    required
                    value={emailConnection}
                    onChange={(event) => setEmailConnection(event.target.value)}
                  >
                    <option value="">
                      {emailConnections.length === 0 ? 'Create an email connection first' : 'Choose…'}
                    </option>
                    {emailConnections.map((item) => (
                      <option key={item.id} value={item.id}>
                        {item.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label="To (comma-separated)" htmlFor="al-email-to">
                  <input
                    id="al-email-to"
                    required
                    value={emailTo}
                    onChange={(event) => setEmailTo(event.target.value)}
                    placeholder="ops@example.com"
                  />
                </Field>
              </>
            ) : channelType ? (
              <Field label="URL" htmlFor="al-url" hint="Shown masked after saving: it is a secret">
                <input
                  id="al-url"
                  type="url"
                  required
                  value={channelUrl}
                  onChange={(event) => setChannelUrl(event.target.value)}
                />
              </Field>
            ) : null}
          </div>
        </fieldset>
        <ErrorBox error={create.error} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={create.busy}>
            {create.busy ? 'Saving…' : 'Create rule'}
          </button>
        </div>
      </form>
    </Card>
  );
}
