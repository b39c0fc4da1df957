import { type FormEvent, useMemo, useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import { SchemaForm } from '../components/SchemaForm';
import { HealthBadge } from '../components/StatusChart';
import { compact, hasInvalidJson, splitSecrets, type Value } from '../components/schema';
import {
  Badge,
  Card,
  Drawer,
  ErrorBox,
  Field,
  Loading,
  PageHeader,
  States,
  Table,
  Time,
} from '../components/ui';
import { useAction, useLoad } from '../hooks';
import { t } from '../i18n';
import { useCanEdit } from '../role';
import { Link, navigate } from '../router';
import type { Connection, Connector, TestResult } from '../types';
import { BasicFields, type Basics } from './EditConnection';

const STATUSES = ['active', 'inactive', 'error', 'testing'];

export function ConnectionsPage() {
  const [status, setStatus] = useState('');
  const [connectorId, setConnectorId] = useState('');
  const [category, setCategory] = useState('');
  const [search, setSearch] = useState('');
  const [creating, setCreating] = useState(false);
  const connectors = useLoad(
    (signal) => api.get<{ items: Connector[] }>(`${ADMIN}/connectors`, { limit: 200 }, signal),
    [],
  );
  const list = useLoad(
    (signal) =>
      api.get<Page<Connection>>(`${ADMIN}/connections`, { status, connectorId, search, limit: 200 }, signal),
    [status, connectorId, search],
  );
  const canEdit = useCanEdit();
  const connectorOf = (id: string) => connectors.data?.items.find((item) => item.id === id);
  const connectorName = (id: string) => connectorOf(id)?.displayName ?? id;
  const categories = [...new Set(connectors.data?.items.map((item) => item.category))].sort();
  // The API filters by connector; a category is a set of connectors, filtered here.
  const shown = category
    ? list.data?.items.filter((item) => connectorOf(item.connectorId)?.category === category)
    : list.data?.items;

  return (
    <>
      <PageHeader
        title={t('nav.connections')}
        actions={
          canEdit ? (
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              {t('connections.new')}
            </button>
          ) : undefined
        }
      >
        {t('connections.intro')}
      </PageHeader>
      <Card>
        <div className="filters">
          <Field label={t('ui.search')} htmlFor="conn-search">
            <input
              id="conn-search"
              type="search"
              value={search}
              onChange={(event) => setSearch(event.target.value)}
              placeholder={t('connections.searchPlaceholder')}
            />
          </Field>
          <Field label={t('connections.status')} htmlFor="conn-status">
            <select id="conn-status" value={status} onChange={(event) => setStatus(event.target.value)}>
              <option value="">{t('ui.any')}</option>
              {STATUSES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('connections.category')} htmlFor="conn-category">
            <select id="conn-category" value={category} onChange={(event) => setCategory(event.target.value)}>
              <option value="">{t('ui.any')}</option>
              {categories.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('connections.connector')} htmlFor="conn-connector">
            <select
              id="conn-connector"
              value={connectorId}
              onChange={(event) => setConnectorId(event.target.value)}
            >
              <option value="">{t('ui.any')}</option>
              {connectors.data?.items.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.displayName}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <States
          loading={list.loading}
          error={list.error}
          data={shown}
          reload={list.reload}
          empty={
            <>
              {status || connectorId || category || search
                ? t('connections.emptyFiltered')
                : t('connections.empty')}{' '}
              {canEdit ? (
                <>
                  <button type="button" className="link" onClick={() => setCreating(true)}>
                    {t('connections.createOne')}
                  </button>{' '}
                  {t('connections.fromLibrary')}
                </>
              ) : null}
            </>
          }
        >
          {(items) => (
            <Table
              caption={t('nav.connections')}
              columns={[
                t('connections.name'),
                t('connections.connector'),
                t('connections.environment'),
                t('connections.status'),
                t('connections.health'),
                t('connections.lastTested'),
              ]}
              actions
            >
              {items.map((connection) => (
                <ConnectionRow
                  key={connection.id}
                  connection={connection}
                  connectorName={connectorName(connection.connectorId)}
                  onChanged={list.reload}
                />
              ))}
            </Table>
          )}
        </States>
      </Card>
      {creating ? (
        <CreateConnection
          connectors={connectors.data?.items}
          onClose={() => setCreating(false)}
          onCreated={(connection) => {
            setCreating(false);
            list.reload();
            navigate(`/connections/${connection.id}`);
          }}
        />
      ) : null}
    </>
  );
}

function ConnectionRow({
  connection,
  connectorName,
  onChanged,
}: {
  connection: Connection;
  connectorName: string;
  onChanged: () => void;
}) {
  const canEdit = useCanEdit();
  const [result, setResult] = useState<TestResult>();
  const test = useAction(async () => {
    setResult(await api.post<TestResult>(`${ADMIN}/connections/${connection.id}/test`));
    onChanged();
  });
  return (
    <tr>
      <td>
        <Link href={`/connections/${connection.id}`}>{connection.name}</Link>
      </td>
      <td>{connectorName}</td>
      <td>{connection.environment}</td>
      <td>
        <Badge value={connection.status} />
      </td>
      <td>
        <HealthBadge value={connection.healthStatus} />
      </td>
      <td>
        <Time value={connection.lastTested} />
      </td>
      <td className="row-actions">
        {canEdit ? (
          <button
            type="button"
            className="small"
            onClick={() => void test.run()}
            disabled={test.busy}
            aria-label={t('connections.testNamed', { name: connection.name })}
          >
            {test.busy ? t('connections.testing') : t('connections.test')}
          </button>
        ) : null}
        {result ? (
          <span className={`inline-result ${result.ok ? 'good' : 'bad'}`} role="status">
            {result.ok ? '✓' : '✗'} {result.message}
          </span>
        ) : null}
        {test.error ? (
          <span className="inline-result bad" role="alert">
            {test.error.message}
          </span>
        ) : null}
      </td>
    </tr>
  );
}

export function CreateConnection({
  connectors,
  onClose,
  onCreated,
}: {
  connectors: Connector[] | undefined;
  onClose: () => void;
  onCreated: (connection: Connection) => void;
}) {
  const [connectorId, setConnectorId] = useState('');
  const [basics, setBasics] = useState<Basics>({ name: '', description: '', environment: 'production' });
  const [config, setConfig] = useState<Value>({});
  const [auth, setAuth] = useState<Value>({});
  const connector = useMemo(
    () => connectors?.find((item) => item.id === connectorId),
    [connectors, connectorId],
  );

  const create = useAction(async () => {
    if (!connector) return;
    const { settings, secrets } = connector.authSchema
      ? splitSecrets(connector.authSchema, auth)
      : { settings: {}, secrets: {} };
    const authConfig = compact(settings) as Value | undefined;
    const credentials = compact(secrets) as Value | undefined;
    const created = await api.post<Connection>(`${ADMIN}/connections`, {
      connectorId: connector.id,
      name: basics.name.trim(),
      description: basics.description.trim() || undefined,
      environment: basics.environment,
      config: (compact(config) as Value | undefined) ?? {},
      ...(authConfig ? { authConfig } : {}),
      ...(credentials ? { credentials } : {}),
    });
    onCreated(created);
  });

  const invalid = hasInvalidJson(config) || hasInvalidJson(auth);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!invalid) void create.run();
  };

  return (
    <Drawer title={t('connections.new')} onClose={onClose}>
      {!connectors ? (
        <Loading />
      ) : (
        <form onSubmit={submit} className="stack" aria-label={t('connections.new')}>
          <Field label={t('connections.connector')} htmlFor="new-connector">
            <select
              id="new-connector"
              required
              value={connectorId}
              onChange={(event) => {
                setConnectorId(event.target.value);
                setConfig({});
                setAuth({});
              }}
            >
              <option value="">{t('connections.chooseConnector')}</option>
              {connectors.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.displayName} ({item.category})
                </option>
              ))}
            </select>
          </Field>
          {connector ? (
            <>
              {connector.description ? <p className="muted">{connector.description}</p> : null}
              <BasicFields idPrefix="new" value={basics} onChange={setBasics} />
              <fieldset>
                <legend>{t('connections.configuration')}</legend>
                <SchemaForm
                  key={`config-${connector.id}`}
                  schema={connector.configSchema}
                  value={config}
                  onChange={setConfig}
                  idPrefix="config"
                />
              </fieldset>
              {connector.authSchema ? (
                <fieldset>
                  <legend>{t('connections.authentication')}</legend>
                  <SchemaForm
                    key={`auth-${connector.id}`}
                    schema={connector.authSchema}
                    value={auth}
                    onChange={setAuth}
                    idPrefix="auth"
                  />
                </fieldset>
              ) : null}
              <ErrorBox error={create.error} />
              <div className="form-actions">
                <button type="button" onClick={onClose}>
                  {t('ui.cancel')}
                </button>
                <button type="submit" className="primary" disabled={create.busy || invalid}>
                  {create.busy ? t('connections.creating') : t('connections.create')}
                </button>
              </div>
            </>
          ) : null}
        </form>
      )}
    </Drawer>
  );
}
