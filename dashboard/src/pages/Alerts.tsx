import { type FormEvent, useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import {
  Badge,
  Card,
  ErrorBox,
  Field,
  formatNumber,
  PageHeader,
  RowToggleAndDelete,
  States,
  Table,
  Time,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { type MessageKey, t } from '../i18n';
import { useCanEdit } from '../role';
import { useStream } from '../stream';
import type { AlertChannel, AlertEvent, AlertRule, Connection, Subscription } from '../types';

const TYPE_NAMES = [
  'error_rate',
  'response_time',
  'rate_limit',
  'health_check',
  'webhook_failures',
  'queue_backlog',
] as const;
const UNITS: Record<string, string> = {
  error_rate: '%',
  response_time: 'ms',
  rate_limit: 'al.u.calls',
  health_check: 'al.u.connections',
  webhook_failures: 'al.u.deliveries',
  queue_backlog: 'al.u.deliveries',
};
/** Labels, units and hints of the alert types, in the current language. */
function typeInfo(type: string): { label: string; unit: string; hint: string } | undefined {
  if (!(TYPE_NAMES as readonly string[]).includes(type)) return undefined;
  const unit = UNITS[type];
  return {
    label: t(`al.t.${type}` as MessageKey),
    unit: unit.startsWith('al.') ? t(unit as MessageKey) : unit,
    hint: t(`al.h.${type}` as MessageKey),
  };
}
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
      ? t('al.all')
      : rule.scope.kind === 'connection'
        ? (connections.data?.items.find((item) => item.id === rule.scope.connectionId)?.name ??
          t('al.scopeConnection', { id: rule.scope.connectionId?.slice(0, 8) ?? '' }))
        : t('al.scopeSubscription', { id: rule.scope.subscriptionId?.slice(0, 8) ?? '' });
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
              {creating ? t('ui.cancel') : t('al.new')}
            </button>
          ) : undefined
        }
      >
        {t('al.intro')}
      </PageHeader>
      {creating ? (
        <CreateRule
          onCreated={() => {
            setCreating(false);
            rules.reload();
          }}
        />
      ) : null}
      <Card title={t('al.rules')}>
        <ErrorBox error={toggle.error ?? remove.error} />
        <States
          loading={rules.loading}
          error={rules.error}
          data={rules.data?.items}
          reload={rules.reload}
          empty={t('al.noRules')}
        >
          {(items) => (
            <Table
              columns={[
                t('connections.name'),
                t('al.condition'),
                t('al.scope'),
                t('al.severity'),
                t('al.state'),
                t('al.fired'),
              ]}
              actions
            >
              {items.map((rule) => (
                <tr key={rule.id}>
                  <td>
                    {rule.name}
                    {rule.channels.length > 0 ? (
                      <div className="hint">→ {rule.channels.map((channel) => channel.type).join(', ')}</div>
                    ) : null}
                  </td>
                  <td>
                    {typeInfo(rule.type)?.label ?? rule.type}
                    {rule.condition.statistic && rule.type === 'response_time'
                      ? ` (${rule.condition.statistic})`
                      : ''}{' '}
                    {OPERATOR_TEXT[rule.condition.operator ?? 'gt'] ?? rule.condition.operator}{' '}
                    {rule.condition.threshold}
                    {typeInfo(rule.type) ? ` ${typeInfo(rule.type)?.unit}` : ''}
                    <div className="hint">
                      {t('al.windowFor', {
                        window: rule.condition.windowSeconds ?? '—',
                        for: rule.condition.forSeconds ?? 0,
                        now: rule.currentValue === null ? '—' : formatNumber(rule.currentValue, 2),
                      })}
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
                      <RowToggleAndDelete
                        active={rule.isActive}
                        onToggle={() => void toggle.run(rule)}
                        question={t('al.confirmDelete', { name: rule.name })}
                        onDelete={() => void remove.run(rule)}
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </States>
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
      title={t('al.events')}
      actions={
        <select
          aria-label={t('al.which')}
          value={state}
          onChange={(event) => setState(event.target.value as typeof state)}
        >
          <option value="firing">{t('al.firing')}</option>
          <option value="resolved">{t('al.resolved')}</option>
          <option value="">{t('al.allEvents')}</option>
        </select>
      }
    >
      <ErrorBox error={act.error} />
      <States
        loading={events.loading}
        error={events.error}
        data={events.data?.items}
        reload={events.reload}
        empty={state === 'firing' ? t('al.quiet') : t('al.noEvents')}
      >
        {(items) => (
          <Table
            columns={[t('ex.when'), t('al.rule'), t('al.severity'), t('al.message'), t('al.state')]}
            actions
          >
            {items.map((event) => (
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
                      {t('al.acknowledge')}
                    </button>
                  ) : null}
                  {canEdit && !event.resolved ? (
                    <button
                      type="button"
                      className="small"
                      onClick={() => void act.run(event, 'resolve')}
                      disabled={act.busy}
                    >
                      {t('al.resolve')}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </States>
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
    <Card title={t('al.new')}>
      <form onSubmit={submit} aria-label={t('al.new')}>
        <div className="grid three">
          <Field label={t('connections.name')} htmlFor="al-name">
            <input id="al-name" required value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label={t('al.watch')} htmlFor="al-type" hint={typeInfo(type)?.hint}>
            <select id="al-type" value={type} onChange={(event) => setType(event.target.value)}>
              {TYPE_NAMES.map((value) => (
                <option key={value} value={value}>
                  {typeInfo(value)?.label}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('al.severity')} htmlFor="al-severity">
            <select id="al-severity" value={severity} onChange={(event) => setSeverity(event.target.value)}>
              {SEVERITIES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('al.scope')} htmlFor="al-scope">
            <select
              id="al-scope"
              value={scopeKind}
              onChange={(event) => {
                setScopeKind(event.target.value as typeof scopeKind);
                setScopeId('');
              }}
            >
              <option value="all">{t('al.allConnections')}</option>
              <option value="connection">{t('al.oneConnection')}</option>
              <option value="subscription">{t('al.oneSubscription')}</option>
            </select>
          </Field>
          {scopeKind !== 'all' ? (
            <Field
              label={scopeKind === 'connection' ? t('overview.connection') : t('al.subscription')}
              htmlFor="al-scope-id"
            >
              <select
                id="al-scope-id"
                required
                value={scopeId}
                onChange={(event) => setScopeId(event.target.value)}
              >
                <option value="">{t('al.choose')}</option>
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
            <Field label={t('al.statistic')} htmlFor="al-stat">
              <select id="al-stat" value={statistic} onChange={(event) => setStatistic(event.target.value)}>
                <option value="avg">{t('al.average')}</option>
                <option value="p95">p95</option>
              </select>
            </Field>
          ) : null}
          <Field label={t('al.firesWhen')} htmlFor="al-op">
            <select id="al-op" value={operator} onChange={(event) => setOperator(event.target.value)}>
              {OPERATORS.map((item) => (
                <option key={item} value={item}>
                  {OPERATOR_TEXT[item]} ({item})
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('al.threshold', { unit: typeInfo(type)?.unit ?? '' })} htmlFor="al-threshold">
            <input
              id="al-threshold"
              type="number"
              step="any"
              required
              value={threshold}
              onChange={(event) => setThreshold(event.target.value)}
            />
          </Field>
          <Field label={t('al.window')} htmlFor="al-window">
            <input
              id="al-window"
              type="number"
              min={60}
              required
              value={windowSeconds}
              onChange={(event) => setWindowSeconds(event.target.value)}
            />
          </Field>
          <Field label={t('al.for')} htmlFor="al-for" hint={t('al.forHint')}>
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
          <legend>{t('al.notify')}</legend>
          <div className="grid three">
            <Field label={t('al.channel')} htmlFor="al-channel">
              <select
                id="al-channel"
                value={channelType}
                onChange={(event) => setChannelType(event.target.value as typeof channelType)}
              >
                <option value="">{t('al.onlyRecord')}</option>
                <option value="email">{t('al.chEmail')}</option>
                <option value="slack">{t('al.chSlack')}</option>
                <option value="teams">{t('al.chTeams')}</option>
                <option value="webhook">{t('al.chWebhook')}</option>
              </select>
            </Field>
            {channelType === 'email' ? (
              <>
                <Field label={t('al.emailConnection')} htmlFor="al-email-conn">
                  <select
                    id="al-email-conn"
                    required
                    value={emailConnection}
                    onChange={(event) => setEmailConnection(event.target.value)}
                  >
                    <option value="">
                      {emailConnections.length === 0 ? t('al.createEmailFirst') : t('al.choose')}
                    </option>
                    {emailConnections.map((item) => (
                      <option key={item.id} value={item.id}>
                        {item.name}
                      </option>
                    ))}
                  </select>
                </Field>
                <Field label={t('al.to')} htmlFor="al-email-to">
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
              <Field label="URL" htmlFor="al-url" hint={t('al.urlHint')}>
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
            {create.busy ? t('al.saving') : t('al.create')}
          </button>
        </div>
      </form>
    </Card>
  );
}
