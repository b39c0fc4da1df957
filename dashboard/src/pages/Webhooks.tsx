import { type FormEvent, useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import {
  Badge,
  Card,
  CopyButton,
  Drawer,
  ErrorBox,
  Field,
  formatMs,
  Json,
  Loaded,
  Loading,
  PageHeader,
  RowToggleAndDelete,
  States,
  Table,
  Time,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { t } from '../i18n';
import { useCanEdit } from '../role';
import { navigate, useLocation } from '../router';
import type { Delivery, EventType, Subscription, WebhookEndpoint } from '../types';

const TABS = [
  { id: 'endpoints', label: 'wh.tab.endpoints' },
  { id: 'subscriptions', label: 'wh.tab.subscriptions' },
  { id: 'deliveries', label: 'wh.tab.deliveries' },
] as const;
type Tab = (typeof TABS)[number]['id'];

const AUTH_TYPES = [
  'none',
  'secret',
  'basic',
  'jwt',
  'hmac',
  'standard-webhooks',
  'stripe',
  'github',
  'slack',
  'shopify',
];
const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'received', 'filtered'];

export function WebhooksPage() {
  const { search } = useLocation();
  const tab = (TABS.find((item) => item.id === search.get('tab'))?.id ?? 'endpoints') as Tab;
  return (
    <>
      <PageHeader title={t('nav.webhooks')}>{t('wh.intro')}</PageHeader>
      <div role="tablist" aria-label={t('nav.webhooks')} className="tabs">
        {TABS.map((item) => (
          <button
            key={item.id}
            type="button"
            role="tab"
            id={`tab-${item.id}`}
            aria-selected={tab === item.id}
            aria-controls={`panel-${item.id}`}
            tabIndex={tab === item.id ? 0 : -1}
            onClick={() => navigate(`/webhooks?tab=${item.id}`)}
            onKeyDown={(event) => {
              const index = TABS.findIndex((entry) => entry.id === tab);
              const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
              if (step) {
                const next = TABS[(index + step + TABS.length) % TABS.length];
                navigate(`/webhooks?tab=${next.id}`);
                document.getElementById(`tab-${next.id}`)?.focus();
              }
            }}
          >
            {t(item.label)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'endpoints' ? <Endpoints /> : tab === 'subscriptions' ? <Subscriptions /> : <Deliveries />}
      </div>
    </>
  );
}

function Endpoints() {
  const canEdit = useCanEdit();
  const list = useLoad(
    (signal) => api.get<Page<WebhookEndpoint>>(`${ADMIN}/webhooks/endpoints`, { limit: 200 }, signal),
    [],
  );
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<WebhookEndpoint>();
  const [name, setName] = useState('');
  const [authenticationType, setAuthenticationType] = useState('standard-webhooks');
  const [secretKey, setSecretKey] = useState('');
  const create = useAction(async () => {
    const endpoint = await api.post<WebhookEndpoint>(`${ADMIN}/webhooks/endpoints`, {
      name,
      authenticationType,
      ...(secretKey ? { secretKey } : {}),
    });
    setCreated(endpoint);
    setCreating(false);
    setName('');
    setSecretKey('');
    list.reload();
  });
  const toggle = useAction(async (endpoint: WebhookEndpoint) => {
    await api.patch(`${ADMIN}/webhooks/endpoints/${endpoint.id}`, { isActive: !endpoint.isActive });
    list.reload();
  });
  const remove = useAction(async (endpoint: WebhookEndpoint) => {
    await api.del(`${ADMIN}/webhooks/endpoints/${endpoint.id}`);
    list.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <Card
      title={t('wh.tab.endpoints')}
      actions={
        canEdit ? (
          <button
            type="button"
            className="small primary"
            onClick={() => setCreating((value) => !value)}
            aria-expanded={creating}
          >
            {creating ? t('ui.cancel') : t('wh.newEndpoint')}
          </button>
        ) : undefined
      }
    >
      {creating ? (
        <form className="inline-form" onSubmit={submit} aria-label={t('wh.newInbound')}>
          <Field label={t('connections.name')} htmlFor="wh-name">
            <input id="wh-name" required value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label={t('wh.verification')} htmlFor="wh-auth">
            <select
              id="wh-auth"
              value={authenticationType}
              onChange={(event) => setAuthenticationType(event.target.value)}
            >
              {AUTH_TYPES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('wh.providerSecret')} htmlFor="wh-secret" hint={t('wh.leaveEmpty')}>
            <input
              id="wh-secret"
              type="password"
              autoComplete="new-password"
              value={secretKey}
              onChange={(event) => setSecretKey(event.target.value)}
            />
          </Field>
          <button type="submit" className="primary" disabled={create.busy}>
            {t('wh.create')}
          </button>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? toggle.error ?? remove.error} />
      {created?.generatedSecret ? (
        <div className="notice good" role="status">
          {t('wh.endpointCreated', { name: created.name })}{' '}
          <code className="secret">{created.generatedSecret}</code>{' '}
          <CopyButton text={created.generatedSecret} />{' '}
          <button type="button" className="link" onClick={() => setCreated(undefined)}>
            {t('wh.done')}
          </button>
        </div>
      ) : null}
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty={t('wh.noEndpoints')}
      >
        {(items) => (
          <Table
            columns={[
              t('connections.name'),
              'URL',
              t('wh.verification'),
              t('wh.secret'),
              t('ep.active'),
              t('wh.received'),
            ]}
            actions
          >
            {items.map((endpoint) => {
              const url = `${location.origin}${endpoint.url}`;
              return (
                <tr key={endpoint.id}>
                  <td>{endpoint.name}</td>
                  <td className="nowrap">
                    <code className="url">{url}</code> <CopyButton text={url} label={t('wh.copyUrl')} />
                  </td>
                  <td>{endpoint.authenticationType}</td>
                  <td>
                    <code>{endpoint.secretKey ?? '—'}</code>
                  </td>
                  <td>
                    <Badge
                      value={endpoint.isActive}
                      label={endpoint.isActive ? t('wh.active') : t('wh.off')}
                    />
                  </td>
                  <td>
                    {endpoint.triggerCount} · <Time value={endpoint.lastTriggered} />
                  </td>
                  <td className="row-actions">
                    <button
                      type="button"
                      className="small"
                      onClick={() => navigate(`/webhooks?tab=deliveries&endpointId=${endpoint.id}`)}
                    >
                      {t('wh.receipts')}
                    </button>
                    {canEdit ? (
                      <RowToggleAndDelete
                        active={endpoint.isActive}
                        onToggle={() => void toggle.run(endpoint)}
                        question={t('wh.confirmDeleteEndpoint', { name: endpoint.name })}
                        onDelete={() => void remove.run(endpoint)}
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </Table>
        )}
      </States>
    </Card>
  );
}

function Subscriptions() {
  const canEdit = useCanEdit();
  const list = useLoad(
    (signal) => api.get<Page<Subscription>>(`${ADMIN}/webhooks/subscriptions`, { limit: 200 }, signal),
    [],
  );
  const catalog = useLoad(
    (signal) => api.get<{ items: EventType[] }>(`${ADMIN}/events`, undefined, signal),
    [],
  );
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ name: string; secret: string }>();
  const [name, setName] = useState('');
  const [targetUrl, setTargetUrl] = useState('');
  const [events, setEvents] = useState<string[]>([]);
  const [filter, setFilter] = useState('');
  const [template, setTemplate] = useState('');
  const [message, setMessage] = useState<string>();
  const create = useAction(async () => {
    let payloadTemplate: unknown;
    if (template.trim()) {
      try {
        payloadTemplate = JSON.parse(template);
      } catch {
        payloadTemplate = template; // a text template
      }
    }
    const subscription = await api.post<Subscription>(`${ADMIN}/webhooks/subscriptions`, {
      name,
      targetUrl,
      events,
      ...(filter.trim() ? { eventFilters: { expression: filter.trim() } } : {}),
      ...(payloadTemplate === undefined ? {} : { payloadTemplate }),
    });
    if (subscription.signingSecret)
      setSecret({ name: subscription.name, secret: subscription.signingSecret });
    setCreating(false);
    setName('');
    setTargetUrl('');
    setEvents([]);
    setFilter('');
    setTemplate('');
    list.reload();
  });
  const test = useAction(async (subscription: Subscription) => {
    await api.post(`${ADMIN}/webhooks/subscriptions/${subscription.id}/test`);
    setMessage(t('wh.testQueued', { name: subscription.name }));
  });
  const toggle = useAction(async (subscription: Subscription) => {
    await api.patch(`${ADMIN}/webhooks/subscriptions/${subscription.id}`, {
      isActive: !subscription.isActive,
    });
    list.reload();
  });
  const remove = useAction(async (subscription: Subscription) => {
    await api.del(`${ADMIN}/webhooks/subscriptions/${subscription.id}`);
    list.reload();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };
  return (
    <Card
      title={t('wh.tab.subscriptions')}
      actions={
        canEdit ? (
          <button
            type="button"
            className="small primary"
            onClick={() => setCreating((value) => !value)}
            aria-expanded={creating}
          >
            {creating ? t('ui.cancel') : t('wh.newSubscription')}
          </button>
        ) : undefined
      }
    >
      {creating ? (
        <form className="stack" onSubmit={submit} aria-label={t('wh.newSubscription')}>
          <div className="grid two">
            <Field label={t('connections.name')} htmlFor="sub-name">
              <input id="sub-name" required value={name} onChange={(event) => setName(event.target.value)} />
            </Field>
            <Field label={t('wh.targetUrl')} htmlFor="sub-url">
              <input
                id="sub-url"
                type="url"
                required
                value={targetUrl}
                onChange={(event) => setTargetUrl(event.target.value)}
                placeholder="https://example.com/hooks/kryonix"
              />
            </Field>
          </div>
          <fieldset>
            <legend>{t('wh.events')}</legend>
            {catalog.data ? (
              <div className="checks">
                {['*', ...catalog.data.items.map((item) => item.type)].map((type) => (
                  <label
                    key={type}
                    className="check"
                    title={catalog.data?.items.find((item) => item.type === type)?.description}
                  >
                    <input
                      type="checkbox"
                      checked={events.includes(type)}
                      onChange={(event) =>
                        setEvents((current) =>
                          event.target.checked ? [...current, type] : current.filter((item) => item !== type),
                        )
                      }
                    />{' '}
                    <code>{type}</code>
                  </label>
                ))}
              </div>
            ) : (
              <Loading />
            )}
          </fieldset>
          <details>
            <summary>{t('wh.filterAndTemplate')}</summary>
            <div className="grid two">
              <Field label={t('wh.filter')} htmlFor="sub-filter" hint={t('wh.filterHint')}>
                <input
                  id="sub-filter"
                  className="mono"
                  value={filter}
                  onChange={(event) => setFilter(event.target.value)}
                  placeholder="data.status >= 500"
                />
              </Field>
              <Field label={t('wh.template')} htmlFor="sub-template" hint={t('wh.templateHint')}>
                <textarea
                  id="sub-template"
                  className="mono"
                  rows={4}
                  value={template}
                  onChange={(event) => setTemplate(event.target.value)}
                  placeholder='{ "text": "{{ type }} at {{ timestamp }}" }'
                />
              </Field>
            </div>
          </details>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={create.busy || events.length === 0}>
              {t('wh.createSubscription')}
            </button>
          </div>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? test.error ?? toggle.error ?? remove.error} />
      {secret ? (
        <div className="notice good" role="status">
          {t('wh.subscriptionCreated', { name: secret.name })} <code className="secret">{secret.secret}</code>{' '}
          <CopyButton text={secret.secret} />{' '}
          <button type="button" className="link" onClick={() => setSecret(undefined)}>
            {t('wh.done')}
          </button>
        </div>
      ) : null}
      {message ? (
        <div className="notice" role="status">
          {message}
        </div>
      ) : null}
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty={t('wh.noSubscriptions')}
      >
        {(items) => (
          <Table
            columns={[
              t('connections.name'),
              t('wh.target'),
              t('wh.events'),
              t('ep.active'),
              t('wh.sentOkFailed'),
              t('wh.lastSent'),
            ]}
            actions
          >
            {items.map((subscription) => (
              <tr key={subscription.id}>
                <td>{subscription.name}</td>
                <td>
                  <code className="url">{subscription.targetUrl}</code>
                </td>
                <td>
                  {subscription.events.join(', ')}
                  {subscription.eventFilters || subscription.payloadTemplate ? (
                    <div className="hint">
                      {[
                        subscription.eventFilters ? t('wh.filtered') : '',
                        subscription.payloadTemplate ? t('wh.templated') : '',
                      ]
                        .filter(Boolean)
                        .join(' · ')}
                    </div>
                  ) : null}
                </td>
                <td>
                  <Badge
                    value={subscription.isActive}
                    label={
                      subscription.isActive ? t('wh.active') : (subscription.disabledReason ?? t('wh.off'))
                    }
                  />
                </td>
                <td>
                  {subscription.sendCount} / {subscription.successCount} / {subscription.failureCount}
                </td>
                <td>
                  <Time value={subscription.lastSent} />
                </td>
                <td className="row-actions">
                  {canEdit ? (
                    <button type="button" className="small" onClick={() => void test.run(subscription)}>
                      {t('wh.sendTest')}
                    </button>
                  ) : null}
                  <button
                    type="button"
                    className="small"
                    onClick={() => navigate(`/webhooks?tab=deliveries&subscriptionId=${subscription.id}`)}
                  >
                    {t('wh.tab.deliveries')}
                  </button>
                  {canEdit ? (
                    <RowToggleAndDelete
                      active={subscription.isActive}
                      onToggle={() => void toggle.run(subscription)}
                      question={t('wh.confirmDeleteSubscription', { name: subscription.name })}
                      onDelete={() => void remove.run(subscription)}
                    />
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

function Deliveries() {
  const { search } = useLocation();
  const subscriptionId = search.get('subscriptionId') ?? undefined;
  const endpointId = search.get('endpointId') ?? undefined;
  const [status, setStatus] = useState('');
  const [eventType, setEventType] = useState('');
  const [open, setOpen] = useState<string>();
  const list = useLoad(
    (signal) =>
      api.get<Page<Delivery>>(
        `${ADMIN}/webhooks/deliveries`,
        { limit: 100, status, eventType, subscriptionId, endpointId },
        signal,
      ),
    [status, eventType, subscriptionId, endpointId],
  );
  return (
    <Card
      title={t('wh.tab.deliveries')}
      actions={
        <button type="button" className="small" onClick={list.reload}>
          {t('ex.refresh')}
        </button>
      }
    >
      <div className="filters">
        <Field label={t('connections.status')} htmlFor="dl-status">
          <select id="dl-status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">{t('ui.any')}</option>
            {DELIVERY_STATUSES.map((item) => (
              <option key={item}>{item}</option>
            ))}
          </select>
        </Field>
        <Field label={t('wh.eventType')} htmlFor="dl-event">
          <input
            id="dl-event"
            value={eventType}
            onChange={(event) => setEventType(event.target.value)}
            placeholder="api.call.failed"
          />
        </Field>
        {subscriptionId || endpointId ? (
          <div className="field">
            <span className="label-like">{t('al.scope')}</span>
            <button type="button" className="small" onClick={() => navigate('/webhooks?tab=deliveries')}>
              {subscriptionId ? t('wh.oneSubscription') : t('wh.oneEndpoint')} ×
            </button>
          </div>
        ) : null}
        {subscriptionId ? <ReplayFailed subscriptionId={subscriptionId} onDone={list.reload} /> : null}
      </div>
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty={t('wh.noDeliveries')}
      >
        {(items) => (
          <Table
            columns={[
              t('ex.when'),
              t('wh.direction'),
              t('wh.event'),
              t('wh.target'),
              t('connections.status'),
              t('wh.attempts'),
              t('wh.response'),
              t('ex.time'),
            ]}
            actions
          >
            {items.map((delivery) => (
              <tr key={delivery.id} data-delivery-id={delivery.id}>
                <td>
                  <button
                    type="button"
                    className="link"
                    onClick={() => setOpen(delivery.id)}
                    aria-label={t('wh.openDelivery', { event: delivery.eventType })}
                  >
                    <Time value={delivery.createdAt} />
                  </button>
                </td>
                <td>{delivery.direction}</td>
                <td>
                  <code>{delivery.eventType}</code>
                </td>
                <td>
                  <code className="url">{delivery.targetUrl}</code>
                </td>
                <td>
                  <Badge value={delivery.status} />
                </td>
                <td>
                  {delivery.attemptNumber}/{delivery.maxAttempts}
                </td>
                <td>{delivery.responseStatus ?? delivery.errorMessage ?? '—'}</td>
                <td>{formatMs(delivery.deliveryTime)}</td>
                <td className="row-actions">
                  <Redeliver delivery={delivery} onDone={list.reload} />
                </td>
              </tr>
            ))}
          </Table>
        )}
      </States>
      {open ? <DeliveryDrawer id={open} onClose={() => setOpen(undefined)} onChanged={list.reload} /> : null}
    </Card>
  );
}

/**
 * Sends an outbound delivery again (POST …/deliveries/:id/retry, one more attempt): "Retry" for one that
 * failed, "Replay" for one already delivered. Not offered while it is queued or being sent.
 */
function Redeliver({ delivery, onDone }: { delivery: Delivery; onDone: () => void }) {
  const canEdit = useCanEdit();
  const send = useAction(async () => {
    await api.post(`${ADMIN}/webhooks/deliveries/${delivery.id}/retry`);
    onDone();
  });
  if (!canEdit || delivery.direction !== 'outbound' || !delivery.subscriptionId) return null;
  if (delivery.status === 'pending' || delivery.status === 'delivering') return null;
  const replay = delivery.status === 'delivered';
  return (
    <span className="redeliver">
      <button
        type="button"
        className="small"
        onClick={() => void send.run()}
        disabled={send.busy}
        aria-label={t(replay ? 'wh.replayNamed' : 'wh.retryNamed', { event: delivery.eventType })}
      >
        {send.busy ? t('wh.retrying') : replay ? t('wh.replay') : t('wh.retry')}
      </button>
      {send.error ? (
        <span className="inline-result bad" role="alert">
          {send.error.message}
        </span>
      ) : null}
    </span>
  );
}

/** Re-sends a subscription's failed deliveries at once (POST …/subscriptions/:id/replay). */
function ReplayFailed({ subscriptionId, onDone }: { subscriptionId: string; onDone: () => void }) {
  const canEdit = useCanEdit();
  const [replayed, setReplayed] = useState<number>();
  const replay = useAction(async () => {
    const answer = await api.post<{ replayed: number }>(
      `${ADMIN}/webhooks/subscriptions/${subscriptionId}/replay`,
      { status: 'failed' },
    );
    setReplayed(answer.replayed);
    onDone();
  });
  if (!canEdit) return null;
  return (
    <div className="field">
      <span className="label-like">{t('wh.bulk')}</span>
      <span>
        <button type="button" className="small" onClick={() => void replay.run()} disabled={replay.busy}>
          {t('wh.replayFailed')}
        </button>{' '}
        {replayed !== undefined ? (
          <span className="inline-result" role="status">
            {t('wh.replayed', { count: replayed })}
          </span>
        ) : null}
        {replay.error ? (
          <span className="inline-result bad" role="alert">
            {replay.error.message}
          </span>
        ) : null}
      </span>
    </div>
  );
}

function DeliveryDrawer({
  id,
  onClose,
  onChanged,
}: {
  id: string;
  onClose: () => void;
  onChanged: () => void;
}) {
  const delivery = useLoad(
    (signal) => api.get<Delivery>(`${ADMIN}/webhooks/deliveries/${id}`, undefined, signal),
    [id],
  );
  return (
    <Drawer title={t('wh.delivery')} onClose={onClose}>
      <Loaded state={delivery}>
        {(item) => (
          <div className="stack">
            <dl className="details">
              <dt>{t('wh.event')}</dt>
              <dd>
                <code>{item.eventType}</code>
              </dd>
              <dt>{t('connections.status')}</dt>
              <dd>
                <Badge value={item.status} />{' '}
                {item.nextRetryAt ? (
                  <>
                    {t('wh.nextAttempt')} <Time value={item.nextRetryAt} />
                  </>
                ) : null}
              </dd>
              <dt>{t('wh.target')}</dt>
              <dd>
                <code className="url">{item.targetUrl}</code>
              </dd>
              <dt>{t('detail.created')}</dt>
              <dd>
                <Time value={item.createdAt} />
              </dd>
            </dl>
            <Redeliver
              delivery={item}
              onDone={() => {
                delivery.reload();
                onChanged();
              }}
            />
            <h3>{t('wh.payload')}</h3>
            <Json value={item.payload} label={t('wh.payload')} />
            <h3>{t('wh.attempts')}</h3>
            {item.attempts && item.attempts.length > 0 ? (
              <ol className="attempts">
                {item.attempts.map((attempt) => (
                  <li key={attempt.attemptNumber + attempt.createdAt}>
                    <div>
                      #{attempt.attemptNumber} · <Time value={attempt.createdAt} /> ·{' '}
                      <Badge
                        value={attempt.responseStatus && attempt.responseStatus < 300 ? 'success' : 'failed'}
                        label={String(attempt.responseStatus ?? t('wh.noResponse'))}
                      />{' '}
                      {formatMs(attempt.durationMs)}
                    </div>
                    {attempt.errorMessage ? <div className="bad-text">{attempt.errorMessage}</div> : null}
                    {attempt.responseBody ? (
                      <Json value={attempt.responseBody} label={t('ex.responseBody')} />
                    ) : null}
                  </li>
                ))}
              </ol>
            ) : (
              <p className="muted">{t('wh.noAttempts')}</p>
            )}
          </div>
        )}
      </Loaded>
    </Drawer>
  );
}
