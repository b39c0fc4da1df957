import { type FormEvent, useState } from 'react';
import { ADMIN, api } from '../api';
import {
  Badge,
  Card,
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
import { t } from '../i18n';
import { useCanEdit } from '../role';
import { Link, navigate } from '../router';
import type { CallResult, Connection, ConnectionEndpoint, TestResult } from '../types';
import { EditConnection } from './EditConnection';
import { RecentExecutions } from './Executions';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function ConnectionDetailPage({ id }: { id: string }) {
  const canEdit = useCanEdit();
  const connection = useLoad(
    (signal) => api.get<Connection>(`${ADMIN}/connections/${id}`, undefined, signal),
    [id],
  );
  const [testResult, setTestResult] = useState<TestResult>();
  const [executed, setExecuted] = useState(0);
  const [editing, setEditing] = useState(false);
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
          <Badge value={testResult.healthStatus} />
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
              <Badge value={item.healthStatus} /> <span className="muted">{t('detail.checked')}</span>{' '}
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
      {canEdit ? <ApiTester connectionId={id} onExecuted={() => setExecuted((count) => count + 1)} /> : null}
      <Endpoints connectionId={id} />
      <Card title={t('detail.recent')}>
        <RecentExecutions connectionId={id} refresh={executed} />
      </Card>
    </>
  );
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The seed's API tester: compose a call through the gateway and see what came back. */
function ApiTester({ connectionId, onExecuted }: { connectionId: string; onExecuted: () => void }) {
  const [method, setMethod] = useState('GET');
  const [endpoint, setEndpoint] = useState('/');
  const [query, setQuery] = useState('');
  const [headers, setHeaders] = useState('');
  const [body, setBody] = useState('');
  const [skipCache, setSkipCache] = useState(false);
  const [result, setResult] = useState<CallResult>();
  const execute = useAction(async () => {
    const payload = {
      method,
      endpoint,
      queryParams: parseJson(query, 'Query parameters'),
      headers: parseJson(headers, 'Headers'),
      data: parseJson(body, 'Body'),
      skipCache: skipCache || undefined,
      triggeredBy: 'dashboard',
    };
    setResult(await api.post<CallResult>(`/api/v1/connections/${connectionId}/execute`, payload));
    onExecuted();
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setResult(undefined);
    void execute.run();
  };
  return (
    <Card title={t('call.title')}>
      <form className="tester" onSubmit={submit} aria-label={t('call.title')}>
        <div className="tester-line">
          <Field label={t('ex.method')} htmlFor="call-method">
            <select id="call-method" value={method} onChange={(event) => setMethod(event.target.value)}>
              {METHODS.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('call.path')} htmlFor="call-endpoint">
            <input
              id="call-endpoint"
              required
              value={endpoint}
              onChange={(event) => setEndpoint(event.target.value)}
              placeholder="/users?page=1"
            />
          </Field>
          <button type="submit" className="primary" disabled={execute.busy}>
            {execute.busy ? t('call.sending') : t('call.send')}
          </button>
        </div>
        <details>
          <summary>{t('call.more')}</summary>
          <div className="grid three">
            <Field label={t('call.query')} htmlFor="call-query">
              <textarea
                id="call-query"
                className="mono"
                rows={4}
                value={query}
                onChange={(event) => setQuery(event.target.value)}
                placeholder='{"page": 1}'
              />
            </Field>
            <Field label={t('call.headers')} htmlFor="call-headers">
              <textarea
                id="call-headers"
                className="mono"
                rows={4}
                value={headers}
                onChange={(event) => setHeaders(event.target.value)}
                placeholder='{"accept": "application/json"}'
              />
            </Field>
            <Field label={t('call.body')} htmlFor="call-body">
              <textarea
                id="call-body"
                className="mono"
                rows={4}
                value={body}
                onChange={(event) => setBody(event.target.value)}
              />
            </Field>
          </div>
          <div className="field checkbox">
            <input
              id="call-skip-cache"
              type="checkbox"
              checked={skipCache}
              onChange={(event) => setSkipCache(event.target.checked)}
            />
            <label htmlFor="call-skip-cache">{t('call.skipCache')}</label>
          </div>
        </details>
      </form>
      <ErrorBox error={execute.error} />
      {result ? (
        <div className="call-result" data-testid="call-result" aria-live="polite">
          <div className="call-summary">
            <Badge value={result.status} /> <strong>HTTP {result.statusCode ?? '—'}</strong>
            <span>{formatMs(result.executionTime)}</span>
            <span>
              {t('ex.cache')}: {result.cacheStatus ?? (result.cached ? 'HIT' : 'MISS')}
            </span>
            {result.retries ? (
              <span>
                {t('ex.retries')}: {result.retries}
              </span>
            ) : null}
            {result.executionId ? (
              <Link href={`/executions?id=${result.executionId}`}>
                {t('call.execution', { id: result.executionId.slice(0, 8) })}
              </Link>
            ) : null}
          </div>
          {result.error ? (
            <p className="bad-text">
              {result.code ? <code>{result.code}</code> : null} {result.error}
            </p>
          ) : null}
          <div className="grid two">
            <div>
              <h3>{t('call.bodyTitle')}</h3>
              <Json value={result.data} label={t('ex.responseBody')} />
            </div>
            <div>
              <h3>{t('call.headersTitle')}</h3>
              <Json value={result.headers ?? {}} label={t('ex.responseHeaders')} />
            </div>
          </div>
        </div>
      ) : null}
    </Card>
  );
}

function Endpoints({ connectionId }: { connectionId: string }) {
  const canEdit = useCanEdit();
  const list = useLoad(
    (signal) =>
      api.get<{ items: ConnectionEndpoint[] }>(
        `${ADMIN}/connections/${connectionId}/endpoints`,
        undefined,
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
              {METHODS.map((item) => (
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
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('connections.name')}</th>
                  <th scope="col">{t('ex.method')}</th>
                  <th scope="col">{t('call.path')}</th>
                  <th scope="col">{t('ep.timeout')}</th>
                  <th scope="col">{t('ep.active')}</th>
                  <th scope="col">
                    <span className="sr-only">{t('ui.actions')}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
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
                        <button
                          type="button"
                          className="small danger"
                          onClick={() => {
                            if (window.confirm(t('ep.confirmDelete', { name: endpoint.endpointName })))
                              void remove.run(endpoint.id);
                          }}
                        >
                          {t('detail.delete')}
                        </button>
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
