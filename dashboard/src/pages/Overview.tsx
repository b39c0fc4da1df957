import { useState } from 'react';
import { ADMIN, api } from '../api';
import { CallChart, groupByOf, percent, type Range, RangeSwitch, StatsKpis } from '../components/Metrics';
import { HealthBadge, StatusChart } from '../components/StatusChart';
import {
  Badge,
  Card,
  ErrorBox,
  formatMs,
  formatNumber,
  Kpi,
  Loading,
  PageHeader,
  States,
  Table,
  Time,
} from '../components/ui';
import { useLoad } from '../hooks';
import { t } from '../i18n';
import { Link } from '../router';
import { StreamBadge, useLiveRefresh } from '../stream';
import type { ConnectionStatistics, MetricsAnswer, OverviewCards, TopApi } from '../types';

/** KPIs, call volume and latency over time, connection status, top APIs; kept current by the stream. */
export function OverviewPage() {
  const [range, setRange] = useState<Range>('24h');
  const [liveCalls, setLiveCalls] = useState(0);
  const { tick, state: streamState } = useLiveRefresh((event) => {
    if (event.event === 'execution') setLiveCalls((count) => count + 1);
    return true;
  });
  const groupBy = groupByOf(range);
  const metrics = useLoad(
    (signal) => api.get<MetricsAnswer>(`${ADMIN}/metrics`, { range, groupBy }, signal),
    [range, groupBy, tick],
  );
  const cards = useLoad(
    (signal) => api.get<OverviewCards>(`${ADMIN}/metrics/overview`, undefined, signal),
    [tick],
  );
  const health = useLoad(
    (signal) => api.get<{ items: ConnectionStatistics[] }>(`${ADMIN}/metrics/connections`, undefined, signal),
    [tick],
  );
  const top = useLoad(
    (signal) => api.get<{ items: TopApi[] }>(`${ADMIN}/metrics/top-apis`, undefined, signal),
    [tick],
  );

  const totals = metrics.data?.totals;
  const noConnections = (
    <>
      {t('overview.noConnections')} <Link href="/connections">{t('connections.createOne')}</Link>.
    </>
  );
  const maxTop = Math.max(1, ...(top.data?.items.map((item) => item.totalCalls) ?? [1]));

  return (
    <>
      <PageHeader
        title={t('nav.overview')}
        actions={
          <>
            <StreamBadge state={streamState} />
            <RangeSwitch value={range} onChange={setRange} />
          </>
        }
      >
        {t('overview.intro')}
        {liveCalls > 0 ? t('overview.liveCalls', { count: formatNumber(liveCalls) }) : ''}.
      </PageHeader>

      {metrics.error && !metrics.data ? <ErrorBox error={metrics.error} onRetry={metrics.reload} /> : null}
      <div className="kpis" aria-live="polite">
        <StatsKpis totals={totals} range={range} />
        <Kpi
          kpi="Connections"
          label={t('nav.connections')}
          value={cards.data ? `${cards.data.activeConnections} / ${cards.data.totalConnections}` : '—'}
          hint={t('overview.activeTotal')}
        />
      </div>

      <div className="grid two wide-first">
        <Card title={t('overview.chartTitle', { range })}>
          {metrics.data ? (
            metrics.data.totals.totalRequests === 0 ? (
              <div className="empty">
                {t('overview.noCalls')} <Link href="/tester">{t('nav.tester')}</Link> {t('overview.panelOr')}{' '}
                <code>POST /api/v1/connections/:id/execute</code>.
              </div>
            ) : (
              <CallChart answer={metrics.data} range={range} />
            )
          ) : metrics.loading ? (
            <Loading />
          ) : null}
        </Card>
        <Card title={t('overview.statusTitle')}>
          <States
            loading={health.loading}
            error={health.error}
            data={health.data?.items}
            reload={health.reload}
            empty={noConnections}
          >
            {(items) => <StatusChart statuses={items.map((item) => item.healthStatus)} />}
          </States>
        </Card>
      </div>

      <div className="grid two">
        <Card title={t('overview.topApis')}>
          <States
            loading={top.loading}
            error={top.error}
            data={top.data?.items}
            reload={top.reload}
            empty={t('overview.noCalls7d')}
          >
            {(items) => (
              <Table
                columns={[
                  t('overview.connection'),
                  { label: t('overview.calls'), num: true },
                  { label: t('overview.errors'), num: true },
                  { label: t('overview.avg'), num: true },
                ]}
              >
                {items.map((item) => (
                  <tr key={item.connectionId}>
                    <td>
                      <Link href={`/connections/${item.connectionId}`}>{item.connectionName}</Link>
                      <span className="muted"> · {item.connectorName}</span>
                      <span
                        className="bar"
                        style={{ width: `${(item.totalCalls / maxTop) * 100}%` }}
                        aria-hidden="true"
                      />
                    </td>
                    <td className="num">{formatNumber(item.totalCalls)}</td>
                    <td className="num">{formatNumber(item.errorCount)}</td>
                    <td className="num">{formatMs(item.avgResponseTime)}</td>
                  </tr>
                ))}
              </Table>
            )}
          </States>
        </Card>
        <Card title={t('overview.health24h')}>
          <States
            loading={health.loading}
            error={health.error}
            data={health.data?.items}
            reload={health.reload}
            empty={noConnections}
          >
            {(items) => (
              <Table
                columns={[
                  t('overview.connection'),
                  t('connections.health'),
                  { label: t('overview.calls'), num: true },
                  { label: t('overview.success'), num: true },
                  { label: t('overview.avg'), num: true },
                  t('overview.lastCall'),
                ]}
              >
                {items.map((item) => (
                  <tr key={item.id}>
                    <td>
                      <Link href={`/connections/${item.id}`}>{item.name}</Link>
                      <div className="hint">{item.connectorName}</div>
                    </td>
                    <td>
                      <HealthBadge value={item.healthStatus} />{' '}
                      {item.status !== 'active' ? <Badge value={item.status} /> : null}
                    </td>
                    <td className="num">{formatNumber(item.totalExecutions)}</td>
                    <td className="num">{percent(item.successRate)}</td>
                    <td className="num">{formatMs(item.avgResponseTime)}</td>
                    <td>
                      <Time value={item.lastExecution} />
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </States>
        </Card>
      </div>
    </>
  );
}
