import { useContext } from 'react';
import { ADMIN, api, type Page } from '../api';
import { ApiTester } from '../components/ApiTester';
import { Card, Empty, Field, Loading, PageHeader, States } from '../components/ui';
import { useLoad } from '../hooks';
import { t } from '../i18n';
import { MeContext } from '../role';
import { Link, navigate, useLocation } from '../router';
import type { Connection } from '../types';

/** The API tester on its own page: pick a connection (kept in the URL), then call it or run an action. */
export function TesterPage() {
  const me = useContext(MeContext);
  const { search } = useLocation();
  const connectionId = search.get('connectionId') ?? '';
  const connections = useLoad(
    (signal) => api.get<Page<Connection>>(`${ADMIN}/connections`, { limit: 200 }, signal),
    [],
  );
  const chosen = connections.data?.items.find((item) => item.id === connectionId);

  return (
    <>
      <PageHeader title={t('nav.tester')}>{t('tester.intro')}</PageHeader>
      <States
        loading={connections.loading}
        error={connections.error}
        data={connections.data?.items}
        reload={connections.reload}
        empty={
          <>
            {t('tester.noConnections')} <Link href="/connections">{t('connections.createOne')}</Link>.
          </>
        }
      >
        {(items) => (
          <>
            <Card>
              <div className="filters">
                <Field label={t('overview.connection')} htmlFor="tester-connection">
                  <select
                    id="tester-connection"
                    value={chosen?.id ?? ''}
                    onChange={(event) =>
                      navigate(event.target.value ? `/tester?connectionId=${event.target.value}` : '/tester')
                    }
                  >
                    <option value="">{t('tester.choose')}</option>
                    {items.map((item) => (
                      <option key={item.id} value={item.id}>
                        {item.name} ({item.connectorId})
                      </option>
                    ))}
                  </select>
                </Field>
                {chosen ? (
                  <p className="muted">
                    <Link href={`/connections/${chosen.id}`}>{t('tester.openConnection')}</Link>
                  </p>
                ) : null}
              </div>
            </Card>
            {!chosen ? (
              <Empty>{t('tester.pick')}</Empty>
            ) : !me ? (
              <Loading />
            ) : me.role === 'viewer' ? (
              <Empty>{t('tester.viewer')}</Empty>
            ) : (
              <ApiTester key={chosen.id} connectionId={chosen.id} connectorId={chosen.connectorId} />
            )}
          </>
        )}
      </States>
    </>
  );
}
