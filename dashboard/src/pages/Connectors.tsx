import { useState } from 'react';
import { ADMIN, api } from '../api';
import { Badge, Card, Field, PageHeader, States } from '../components/ui';
import { useLoad } from '../hooks';
import { t } from '../i18n';
import type { Connector } from '../types';

/** The connector library: what can be connected, and the actions each connector offers. */
export function ConnectorsPage() {
  const [search, setSearch] = useState('');
  const list = useLoad(
    (signal) => api.get<{ items: Connector[] }>(`${ADMIN}/connectors`, { limit: 200 }, signal),
    [],
  );
  const needle = search.trim().toLowerCase();
  const items = list.data?.items.filter((item) =>
    needle === ''
      ? true
      : [
          item.id,
          item.displayName,
          item.description ?? '',
          item.category,
          ...item.actions.map((action) => action.name),
        ]
          .join(' ')
          .toLowerCase()
          .includes(needle),
  );
  return (
    <>
      <PageHeader title={t('nav.connectors')}>{t('connectors.intro')}</PageHeader>
      <div className="filters">
        <Field label={t('connectors.search')} htmlFor="lib-search">
          <input
            id="lib-search"
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder={t('connectors.searchPlaceholder')}
          />
        </Field>
      </div>
      <States
        loading={list.loading}
        error={list.error}
        data={items}
        reload={list.reload}
        empty={t('connectors.empty')}
      >
        {(connectors) => (
          <div className="grid cards">
            {connectors.map((connector) => (
              <Card key={connector.id} title={connector.displayName}>
                <p className="muted">{connector.description ?? '—'}</p>
                <p>
                  <Badge value="neutral" label={connector.category} />{' '}
                  <Badge value="neutral" label={connector.type} />{' '}
                  <span className="muted">v{connector.version}</span>
                </p>
                {connector.actions.length > 0 ? (
                  <ul className="plain">
                    {connector.actions.map((action) => (
                      <li key={action.name}>
                        <code>{action.name}</code>
                        {action.classification ? (
                          <span className="muted"> · {action.classification}</span>
                        ) : null}
                        {action.description ? <div className="hint">{action.description}</div> : null}
                      </li>
                    ))}
                  </ul>
                ) : null}
                {connector.documentationUrl ? (
                  <a href={connector.documentationUrl} target="_blank" rel="noreferrer">
                    {t('connectors.documentation')}
                  </a>
                ) : null}
              </Card>
            ))}
          </div>
        )}
      </States>
    </>
  );
}
