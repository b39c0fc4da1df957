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
  Loading,
  PageHeader,
  States,
  Time,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { useCanEdit } from '../role';
import { navigate, useLocation } from '../router';
import type { Delivery, EventType, Subscription, WebhookEndpoint } from '../types';

const TABS = [
  { id: 'endpoints', label: 'Inbound endpoints' },
  { id: 'subscriptions', label: 'Subscriptions' },
  { id: 'deliveries', label: 'Deliveries' },
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
      <PageHeader title="Webhooks">
        Receive webhooks from other systems on your inbound URLs, and deliver platform events to your
        subscribers with signatures and retries.
      </PageHeader>
      <div role="tablist" aria-label="Webhooks" className="tabs">
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
            {item.label}
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
      title="Inbound endpoints"
      actions={
        canEdit ? (
          <button
            type="button"
            className="small primary"
            onClick={() => setCreating((value) => !value)}
            aria-expanded={creating}
          >
            {creating ? 'Cancel' : 'New endpoint'}
          </button>
        ) : undefined
      }
    >
      {creating ? (
        <form className="inline-form" onSubmit={submit} aria-label="New inbound endpoint">
          <Field label="Name" htmlFor="wh-name">
            <input id="wh-name" required value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label="Verification" htmlFor="wh-auth">
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
          <Field
            label="Provider's signing secret"
            htmlFor="wh-secret"
            hint="Leave empty to have one generated"
          >
            <input
              id="wh-secret"
              type="password"
              autoComplete="new-password"
              value={secretKey}
              onChange={(event) => setSecretKey(event.target.value)}
            />
          </Field>
          <button type="submit" className="primary" disabled={create.busy}>
            Create
          </button>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? toggle.error ?? remove.error} />
      {created?.generatedSecret ? (
        <div className="notice good" role="status">
          Endpoint <strong>{created.name}</strong> created. Its generated secret is shown only now:{' '}
          <code className="secret">{created.generatedSecret}</code>{' '}
          <CopyButton text={created.generatedSecret} />{' '}
          <button type="button" className="link" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      ) : null}
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty="No inbound endpoints. Create one and give its URL to the system that sends you webhooks (Stripe, GitHub, Slack…)."
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">URL</th>
                  <th scope="col">Verification</th>
                  <th scope="col">Secret</th>
                  <th scope="col">Active</th>
                  <th scope="col">Received</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((endpoint) => {
                  const url = `${location.origin}${endpoint.url}`;
                  return (
                    <tr key={endpoint.id}>
                      <td>{endpoint.name}</td>
                      <td className="nowrap">
                        <code className="url">{url}</code> <CopyButton text={url} label="Copy URL" />
                      </td>
                      <td>{endpoint.authenticationType}</td>
                      <td>
                        <code>{endpoint.secretKey ?? '—'}</code>
                      </td>
                      <td>
                        <Badge value={endpoint.isActive} label={endpoint.isActive ? 'active' : 'off'} />
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
                          Receipts
                        </button>
                        {canEdit ? (
                          <>
                            <button type="button" className="small" onClick={() => void toggle.run(endpoint)}>
                              {endpoint.isActive ? 'Disable' : 'Enable'}
                            </button>
                            <button
                              type="button"
                              className="small danger"
                              onClick={() => {
                                if (
                                  window.confirm(
                                    `Delete the endpoint "${endpoint.name}"? Its URL stops accepting webhooks.`,
                                  )
                                )
                                  void remove.run(endpoint);
                              }}
                            >
                              Delete
                            </button>
                          </>
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
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
  const [message, setMessage] = useState<string>();
  const create = useAction(async () => {
    const subscription = await api.post<Subscription>(`${ADMIN}/webhooks/subscriptions`, {
      name,
      targetUrl,
      events,
    });
    if (subscription.signingSecret)
      setSecret({ name: subscription.name, secret: subscription.signingSecret });
    setCreating(false);
    setName('');
    setTargetUrl('');
    setEvents([]);
    list.reload();
  });
  const test = useAction(async (subscription: Subscription) => {
    await api.post(`${ADMIN}/webhooks/subscriptions/${subscription.id}/test`);
    setMessage(`A test.event was queued for "${subscription.name}"; see Deliveries.`);
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
      title="Subscriptions"
      actions={
        canEdit ? (
          <button
            type="button"
            className="small primary"
            onClick={() => setCreating((value) => !value)}
            aria-expanded={creating}
          >
            {creating ? 'Cancel' : 'New subscription'}
          </button>
        ) : undefined
      }
    >
      {creating ? (
        <form className="stack" onSubmit={submit} aria-label="New subscription">
          <div className="grid two">
            <Field label="Name" htmlFor="sub-name">
              <input id="sub-name" required value={name} onChange={(event) => setName(event.target.value)} />
            </Field>
            <Field label="Target URL" htmlFor="sub-url">
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
            <legend>Events</legend>
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
          <div className="form-actions">
            <button type="submit" className="primary" disabled={create.busy || events.length === 0}>
              Create subscription
            </button>
          </div>
        </form>
      ) : null}
      <ErrorBox error={create.error ?? test.error ?? toggle.error ?? remove.error} />
      {secret ? (
        <div className="notice good" role="status">
          Subscription <strong>{secret.name}</strong> created. Verify our signatures with this secret (shown
          only now): <code className="secret">{secret.secret}</code> <CopyButton text={secret.secret} />{' '}
          <button type="button" className="link" onClick={() => setSecret(undefined)}>
            Done
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
        empty="No subscriptions. Subscribe a URL of yours to platform events (api.call.failed, webhook.received…) to have them delivered, signed, with retries."
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Target</th>
                  <th scope="col">Events</th>
                  <th scope="col">Active</th>
                  <th scope="col">Sent / ok / failed</th>
                  <th scope="col">Last sent</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((subscription) => (
                  <tr key={subscription.id}>
                    <td>{subscription.name}</td>
                    <td>
                      <code className="url">{subscription.targetUrl}</code>
                    </td>
                    <td>{subscription.events.join(', ')}</td>
                    <td>
                      <Badge
                        value={subscription.isActive}
                        label={subscription.isActive ? 'active' : (subscription.disabledReason ?? 'off')}
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
                          Send test
                        </button>
                      ) : null}
                      <button
                        type="button"
                        className="small"
                        onClick={() => navigate(`/webhooks?tab=deliveries&subscriptionId=${subscription.id}`)}
                      >
                        Deliveries
                      </button>
                      {canEdit ? (
                        <>
                          <button
                            type="button"
                            className="small"
                            onClick={() => void toggle.run(subscription)}
                          >
                            {subscription.isActive ? 'Disable' : 'Enable'}
                          </button>
                          <button
                            type="button"
                            className="small danger"
                            onClick={() => {
                              if (window.confirm(`Delete the subscription "${subscription.name}"?`))
                                void remove.run(subscription);
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
      title="Deliveries"
      actions={
        <button type="button" className="small" onClick={list.reload}>
          Refresh
        </button>
      }
    >
      <div className="filters">
        <Field label="Status" htmlFor="dl-status">
          <select id="dl-status" value={status} onChange={(event) => setStatus(event.target.value)}>
            <option value="">Any</option>
            {DELIVERY_STATUSES.map((item) => (
              <option key={item}>{item}</option>
            ))}
          </select>
        </Field>
        <Field label="Event type" htmlFor="dl-event">
          <input
            id="dl-event"
            value={eventType}
            onChange={(event) => setEventType(event.target.value)}
            placeholder="api.call.failed"
          />
        </Field>
        {subscriptionId || endpointId ? (
          <div className="field">
            <span className="label-like">Scope</span>
            <button type="button" className="small" onClick={() => navigate('/webhooks?tab=deliveries')}>
              {subscriptionId ? 'One subscription' : 'One endpoint'} ×
            </button>
          </div>
        ) : null}
      </div>
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty="No deliveries yet. Outbound deliveries appear when a subscribed event happens (try “Send test” on a subscription); inbound receipts when a webhook arrives."
      >
        {(items) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Direction</th>
                  <th scope="col">Event</th>
                  <th scope="col">Target</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Response</th>
                  <th scope="col">Time</th>
                </tr>
              </thead>
              <tbody>
                {items.map((delivery) => (
                  <tr key={delivery.id} className="clickable">
                    <td>
                      <button type="button" className="link" onClick={() => setOpen(delivery.id)}>
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
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </States>
      {open ? <DeliveryDrawer id={open} onClose={() => setOpen(undefined)} onChanged={list.reload} /> : null}
    </Card>
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
  const canEdit = useCanEdit();
  const delivery = useLoad(
    (signal) => api.get<Delivery>(`${ADMIN}/webhooks/deliveries/${id}`, undefined, signal),
    [id],
  );
  const retry = useAction(async () => {
    await api.post(`${ADMIN}/webhooks/deliveries/${id}/retry`);
    delivery.reload();
    onChanged();
  });
  const item = delivery.data;
  return (
    <Drawer title="Delivery" onClose={onClose}>
      {!item ? (
        delivery.error ? (
          <ErrorBox error={delivery.error} />
        ) : (
          <Loading />
        )
      ) : (
        <div className="stack">
          <dl className="details">
            <dt>Event</dt>
            <dd>
              <code>{item.eventType}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <Badge value={item.status} />{' '}
              {item.nextRetryAt ? (
                <>
                  next attempt <Time value={item.nextRetryAt} />
                </>
              ) : null}
            </dd>
            <dt>Target</dt>
            <dd>
              <code className="url">{item.targetUrl}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time value={item.createdAt} />
            </dd>
          </dl>
          {item.direction === 'outbound' && canEdit ? (
            <div>
              <button
                type="button"
                className="primary"
                onClick={() => void retry.run()}
                disabled={retry.busy || item.status === 'delivering'}
              >
                {retry.busy ? 'Retrying…' : 'Retry now'}
              </button>
              <ErrorBox error={retry.error} />
            </div>
          ) : null}
          <h3>Payload</h3>
          <Json value={item.payload} label="Payload" />
          <h3>Attempts</h3>
          {item.attempts && item.attempts.length > 0 ? (
            <ol className="attempts">
              {item.attempts.map((attempt) => (
                <li key={attempt.attemptNumber + attempt.createdAt}>
                  <div>
                    #{attempt.attemptNumber} · <Time value={attempt.createdAt} /> ·{' '}
                    <Badge
                      value={attempt.responseStatus && attempt.responseStatus < 300 ? 'success' : 'failed'}
                      label={String(attempt.responseStatus ?? 'no response')}
                    />{' '}
                    {formatMs(attempt.durationMs)}
                  </div>
                  {attempt.errorMessage ? <div className="bad-text">{attempt.errorMessage}</div> : null}
                  {attempt.responseBody ? <Json value={attempt.responseBody} label="Response body" /> : null}
                </li>
              ))}
            </ol>
          ) : (
            <p className="muted">No attempts yet.</p>
          )}
        </div>
      )}
    </Drawer>
  );
}
