import { useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import { ApiTester, HTTP_METHODS } from '../components/ApiTester';
import { CallChart, groupByOf, type Range, RangeSwitch, StatsKpis } from '../components/Metrics';
import { HealthBadge } from '../components/StatusChart';
import {
  Badge,
  Card,
  ErrorBox,
  Field,
  Json,
  Loaded,
  Loading,
  PageHeader,
  RowDelete,
  States,
  Table,
  Time,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { type MessageKey, t } from '../i18n';
import { useCanEdit } from '../role';
import { Link, navigate } from '../router';
import { useLiveRefresh } from '../stream';
import type { Connection, ConnectionEndpoint, HealthCheck, MetricsAnswer, TestResult } from '../types';
import { EditConnection } from './EditConnection';
import { RecentExecutions } from './Executions';

export function ConnectionDetailPage({ id }: { id: string }) {
  const canEdit = useCanEdit();
  const connection = useLoad(
    (signal) => api.get<Connection>(`${ADMIN}/connections/${id}`, undefined, signal),
    [id],
  );
  const [testResult, setTestResult] = useState<TestResult>();
  const [executed, setExecuted] = useState(0);
  const [editing, setEditing] = useState(false);
  // One stream for the page: this connection's events refresh its numbers and, on a health change, its
  // status and history.
  const { tick } = useLiveRefresh((event) => {
    if (event.data.connectionId !== id) return false;
    if (event.event === 'health') connection.reload();
    return true;
  });
  const test = useAction(async () => {
    setTestResult(await api.post<TestResult>(`${ADMIN}/connections/${id}/test`));
    connection.reload();
  });
  const toggle = useAction(async (status: 'active' | 'inactive') => {
    await api.patch(`${ADMIN}/connections/${id}`, { status });
    connection.reload();
  });
  const remove = useAction(async () => {
    await api.del(`${ADMIN}/connections/${id}`);
    navigate('/connections');
  });

  if (!connection.data) {
    return connection.error ? <ErrorBox error={connection.error} onRetry={connection.reload} /> : <Loading />;
  }
  const item = connection.data;
  return (
    <>
      <nav aria-label={t('detail.breadcrumb')} className="breadcrumb">
        <Link href="/connections">{t('nav.connections')}</Link> / <span aria-current="page">{item.name}</span>
      </nav>
      <PageHeader
        title={item.name}
        actions={
          canEdit ? (
            <>
              <button type="button" onClick={() => void test.run()} disabled={test.busy}>
                {test.busy ? t('connections.testing') : t('detail.test')}
              </button>
              <button type="button" onClick={() => setEditing(true)}>
                {t('detail.edit')}
              </button>
              {item.status === 'inactive' ? (
                <button type="button" onClick={() => void toggle.run('active')} disabled={toggle.busy}>
                  {t('detail.enable')}
                </button>
              ) : (
                <button type="button" onClick={() => void toggle.run('inactive')} disabled={toggle.busy}>
                  {t('detail.disable')}
                </button>
              )}
              <button
                type="button"
                className="danger"
                disabled={remove.busy}
                onClick={() => {
                  if (window.confirm(t('detail.confirmDelete', { name: item.name }))) void remove.run();
                }}
              >
                {t('detail.delete')}
              </button>
            </>
          ) : undefined
        }
      >
        {item.description ?? t('detail.defaultDescription', { connector: item.connectorId })}
      </PageHeader>
      <ErrorBox error={test.error ?? toggle.error ?? remove.error} />
      {testResult ? (
        <div className={`notice ${testResult.ok ? 'good' : 'bad'}`} role="status">
          {testResult.ok ? t('detail.testPassed') : t('detail.testFailed')}: {testResult.message}{' '}
          <HealthBadge value={testResult.healthStatus} />
        </div>
      ) : null}
      <div className="grid two">
        <Card title={t('detail.details')}>
          <dl className="details">
            <dt>{t('connections.connector')}</dt>
            <dd>{item.connectorId}</dd>
            <dt>{t('connections.environment')}</dt>
            <dd>{item.environment}</dd>
            <dt>{t('connections.status')}</dt>
            <dd>
              <Badge value={item.status} />
            </dd>
            <dt>{t('connections.health')}</dt>
            <dd>
              <HealthBadge value={item.healthStatus} /> <span className="muted">{t('detail.checked')}</span>{' '}
              <Time value={item.lastHealthCheck} />
            </dd>
            <dt>{t('connections.lastTested')}</dt>
            <dd>
              <Time value={item.lastTested} />
            </dd>
            <dt>{t('detail.created')}</dt>
            <dd>
              <Time value={item.createdAt} />
            </dd>
            <dt>Id</dt>
            <dd>
              <code>{item.id}</code>
            </dd>
          </dl>
        </Card>
        <Card title={t('connections.configuration')}>
          <Json value={item.config} label={t('connections.configuration')} />
          <h3>{t('connections.authentication')}</h3>
          <Json value={item.authConfig ?? t('detail.none')} label={t('detail.authSettings')} />
          <h3>{t('detail.credentials')}</h3>
          {item.credentials && Object.keys(item.credentials).length > 0 ? (
            <dl className="details">
              {Object.entries(item.credentials).map(([field, masked]) => (
                <div key={field} className="pair">
                  <dt>{field}</dt>
                  <dd>
                    <code>{masked}</code>
                  </dd>
                </div>
              ))}
            </dl>
          ) : (
            <p className="muted">{t('detail.noCredentials')}</p>
          )}
        </Card>
      </div>
      {editing ? (
        <EditConnection
          connection={item}
          onClose={() => setEditing(false)}
          onSaved={() => {
            setEditing(false);
            connection.reload();
          }}
        />
      ) : null}
      <ConnectionMetrics connectionId={id} tick={tick} />
      <HealthHistory connection={item} />
      {canEdit ? (
        <ApiTester
          connectionId={id}
          connectorId={item.connectorId}
          onExecuted={() => setExecuted((count) => count + 1)}
        />
      ) : null}
      <Endpoints connectionId={id} />
      <Card title={t('detail.recent')}>
        <RecentExecutions connectionId={id} refresh={executed} />
      </Card>
    </>
  );
}

/** This connection's call statistics (GET /metrics?connectionId=…), kept current by the stream. */
function ConnectionMetrics({ connectionId, tick }: { connectionId: string; tick: number }) {
  const [range, setRange] = useState<Range>('24h');
  const groupBy = groupByOf(range);
  const metrics = useLoad(
    (signal) => api.get<MetricsAnswer>(`${ADMIN}/metrics`, { range, groupBy, connectionId }, signal),
    [connectionId, range, groupBy, tick],
  );
  return (
    <Card title={t('detail.metrics')} actions={<RangeSwitch value={range} onChange={setRange} />}>
      <Loaded state={metrics}>
        {(answer) => (
          <>
            <div className="kpis" aria-live="polite">
              <StatsKpis totals={answer.totals} range={range} />
            </div>
            {answer.totals.totalRequests === 0 ? (
              <div className="empty">{t('detail.noCallsInRange')}</div>
            ) : (
              <CallChart answer={answer} range={range} />
            )}
          </>
        )}
      </Loaded>
    </Card>
  );
}

/** Every test and scheduled check of this connection (newest first), reloaded as its health moves. */
function HealthHistory({ connection }: { connection: Connection }) {
  const checks = useLoad(
    (signal) =>
      api.get<Page<HealthCheck>>(`${ADMIN}/connections/${connection.id}/health`, { limit: 50 }, signal),
    [connection.id, connection.lastHealthCheck],
  );
  return (
    <Card title={t('detail.healthHistory')}>
      <p>
        <HealthBadge value={connection.healthStatus} /> <span className="muted">{t('detail.checked')}</span>{' '}
        <Time value={connection.lastHealthCheck} />
        {' · '}
        <span className="muted">{t('connections.lastTested')}</span> <Time value={connection.lastTested} />
      </p>
      <Loaded state={checks}>
        {(page) =>
          page.items.length === 0 ? (
            <div className="empty">{t('detail.noHealthHistory')}</div>
          ) : (
            <ol className="timeline" data-testid="health-history">
              {page.items.map((check) => (
                <li key={check.id}>
                  <Time value={check.checkedAt} /> <HealthBadge value={check.status} />{' '}
                  <span className="muted">{t(`detail.checkKind.${check.kind}` as MessageKey)}</span> ·{' '}
                  {check.message}
                </li>
              ))}
            </ol>
          )
        }
      </Loaded>
    </Card>
  );
}

function Endpoints({ connectionId }: { connectionId: string }) {
  const canEdit = useCanEdit();
  const list = useLoad(
    (signal) =>
      api.get<{ items: ConnectionEndpoint[] }>(
        `${ADMIN}/connections/${connectionId}/endpoints`,
        { limit: 200 },
        signal,
      ),
    [connectionId],
  );
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [method, setMethod] = useState('GET');
  const add = useAction(async () => {
    await api.post(`${ADMIN}/connections/${connectionId}/endpoints`, {
      endpointName: name,
      endpointUrl: url,
      httpMethod: method,
    });
    setName('');
    setUrl('');
    setAdding(false);
    list.reload();
  });
  const remove = useAction(async (endpointId: string) => {
    await api.del(`${ADMIN}/connections/${connectionId}/endpoints/${endpointId}`);
    list.reload();
  });
  return (
    <Card
      title={t('ep.title')}
      actions={
        canEdit ? (
          <button
            type="button"
            className="small"
            onClick={() => setAdding((value) => !value)}
            aria-expanded={adding}
          >
            {adding ? t('ui.cancel') : t('ep.add')}
          </button>
        ) : undefined
      }
    >
      {adding ? (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void add.run();
          }}
        >
          <Field label={t('connections.name')} htmlFor="ep-name">
            <input id="ep-name" required value={name} onChange={(event) => setName(event.target.value)} />
          </Field>
          <Field label={t('ex.method')} htmlFor="ep-method">
            <select id="ep-method" value={method} onChange={(event) => setMethod(event.target.value)}>
              {HTTP_METHODS.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('call.path')} htmlFor="ep-url">
            <input
              id="ep-url"
              required
              value={url}
              onChange={(event) => setUrl(event.target.value)}
              placeholder="/users/{id}"
            />
          </Field>
          <button type="submit" className="primary" disabled={add.busy}>
            {t('ep.save')}
          </button>
        </form>
      ) : null}
      <ErrorBox error={add.error ?? remove.error} />
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty={t('ep.empty')}
      >
        {(items) => (
          <Table
            columns={[t('connections.name'), t('ex.method'), t('call.path'), t('ep.timeout'), t('ep.active')]}
            actions
          >
            {items.map((endpoint) => (
              <tr key={endpoint.id}>
                <td>{endpoint.endpointName}</td>
                <td>
                  <code>{endpoint.httpMethod}</code>
                </td>
                <td>
                  <code>{endpoint.endpointUrl}</code>
                </td>
                <td>{endpoint.timeoutSeconds} s</td>
                <td>
                  <Badge value={endpoint.isActive} label={endpoint.isActive ? t('ui.yes') : t('ui.no')} />
                </td>
                <td>
                  {canEdit ? (
                    <RowDelete
                      question={t('ep.confirmDelete', { name: endpoint.endpointName })}
                      onDelete={() => void remove.run(endpoint.id)}
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
