import { useCallback, useMemo, useRef, useState } from 'react';
import { ADMIN, api } from '../api';
import { type Series, TimeSeriesChart } from '../components/TimeSeriesChart';
import { MonitoringError } from '../components/Unavailable';
import { Badge, Card, formatMs, formatNumber, Kpi, Loading, PageHeader, Time } from '../components/ui';
import { useInterval, useLoad } from '../hooks';
import { t } from '../i18n';
import { Link } from '../router';
import { StreamBadge, useStream } from '../stream';
import type { ConnectionStatistics, MetricsAnswer, OverviewCards, TopApi } from '../types';

const RANGES = ['1h', '24h', '7d', '30d'] as const;
type Range = (typeof RANGES)[number];

function percent(value: number | null | undefined): string {
  return value === null || value === undefined
    ? '—'
    : `${formatNumber(value, value >= 99.95 || value === 0 ? 0 : 1)}%`;
}

function toneOfRate(rate: number | null | undefined): 'good' | 'warn' | 'bad' | undefined {
  if (rate === null || rate === undefined) return undefined;
  return rate >= 99 ? 'good' : rate >= 95 ? 'warn' : 'bad';
}

/** KPIs, call volume and latency over time, top APIs and connection health; kept current by the stream. */
export function OverviewPage() {
  const [range, setRange] = useState<Range>('24h');
  const [tick, setTick] = useState(0);
  const groupBy = range === '7d' || range === '30d' ? 'day' : 'hour';
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

  // Pushed, not polled: an event marks the numbers stale; they reload at most every 3 s.
  const stale = useRef(false);
  const [liveCalls, setLiveCalls] = useState(0);
  const onEvent = useCallback((event: { event: string }) => {
    stale.current = true;
    if (event.event === 'execution') setLiveCalls((count) => count + 1);
  }, []);
  const streamState = useStream(onEvent);
  useInterval(() => {
    if (stale.current) {
      stale.current = false;
      setTick((value) => value + 1);
    }
  }, 3000);
  // Without the stream, fall back to a slow poll.
  useInterval(() => setTick((value) => value + 1), streamState === 'open' ? null : 30_000);

  const totals = metrics.data?.totals;
  const cacheLookups = totals ? totals.cacheHits + totals.cacheMisses : 0;
  const chart = useMemo(() => {
    const groups = metrics.data?.groups ?? [];
    const times = groups.map((group) => Math.floor(new Date(group.key).getTime() / 1000));
    const series: Series[] = [
      // Failed bars drawn over the total: the red part of a bar is its failed share.
      {
        label: t('overview.calls'),
        values: groups.map((group) => group.totalRequests),
        color: '#2f9e44',
        bars: true,
      },
      {
        label: t('overview.failed'),
        values: groups.map((group) => group.failedRequests),
        color: '#e03131',
        bars: true,
      },
      {
        label: t('overview.avgLatency'),
        values: groups.map((group) => group.avgResponseTime),
        color: '#3b5bdb',
        right: true,
        unit: ' ms',
      },
      {
        label: t('overview.p95Latency'),
        values: groups.map((group) => group.p95ResponseTime),
        color: '#f08c00',
        right: true,
        unit: ' ms',
      },
    ];
    return { times, series };
  }, [metrics.data]);
  const maxTop = Math.max(1, ...(top.data?.items.map((item) => item.totalCalls) ?? [1]));

  return (
    <>
      <PageHeader
        title={t('nav.overview')}
        actions={
          <>
            <StreamBadge state={streamState} />
            <fieldset className="segmented" aria-label={t('overview.timeRange')}>
              {RANGES.map((item) => (
                <label key={item} className={item === range ? 'on' : ''}>
                  <input
                    type="radio"
                    name="range"
                    value={item}
                    checked={item === range}
                    onChange={() => setRange(item)}
                  />
                  {item}
                </label>
              ))}
            </fieldset>
          </>
        }
      >
        {t('overview.intro')}
        {liveCalls > 0 ? t('overview.liveCalls', { count: formatNumber(liveCalls) }) : ''}.
      </PageHeader>

      {metrics.error && !metrics.data ? (
        <MonitoringError error={metrics.error} onRetry={metrics.reload} />
      ) : null}
      <div className="kpis" aria-live="polite">
        <Kpi
          kpi="Calls"
          label={t('overview.calls')}
          value={formatNumber(totals?.totalRequests)}
          hint={t('overview.last', { range })}
        />
        <Kpi
          label={t('overview.successRate')}
          value={percent(totals?.successRate)}
          tone={toneOfRate(totals?.successRate)}
        />
        <Kpi label={t('overview.avgLatency')} value={formatMs(totals?.avgResponseTime)} />
        <Kpi label={t('overview.p95Latency')} value={formatMs(totals?.p95ResponseTime)} />
        <Kpi
          label={t('overview.errors')}
          value={formatNumber(totals?.failedRequests)}
          tone={totals ? (totals.failedRequests > 0 ? 'bad' : 'good') : undefined}
        />
        <Kpi
          label={t('overview.cacheHits')}
          value={cacheLookups > 0 && totals ? percent((totals.cacheHits / cacheLookups) * 100) : '—'}
          hint={
            totals
              ? t('overview.cacheHint', {
                  hits: formatNumber(totals.cacheHits),
                  lookups: formatNumber(cacheLookups),
                })
              : undefined
          }
        />
        <Kpi
          kpi="Connections"
          label={t('nav.connections')}
          value={cards.data ? `${cards.data.activeConnections} / ${cards.data.totalConnections}` : '—'}
          hint={t('overview.activeTotal')}
        />
      </div>

      <Card title={t('overview.chartTitle', { range })}>
        {metrics.data ? (
          metrics.data.totals.totalRequests === 0 ? (
            <div className="empty">
              {t('overview.noCalls')} <Link href="/connections">{t('overview.tryCall')}</Link>{' '}
              {t('overview.panelOr')} <code>POST /api/v1/connections/:id/execute</code>.
            </div>
          ) : (
            <TimeSeriesChart
              times={chart.times}
              series={chart.series}
              label={t('overview.chartLabel', { groupBy, range })}
            />
          )
        ) : metrics.loading ? (
          <Loading />
        ) : null}
      </Card>

      <div className="grid two">
        <Card title={t('overview.topApis')}>
          {top.error && !top.data ? (
            <MonitoringError error={top.error} onRetry={top.reload} />
          ) : !top.data ? (
            <Loading />
          ) : top.data.items.length === 0 ? (
            <div className="empty">{t('overview.noCalls7d')}</div>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('overview.connection')}</th>
                    <th scope="col" className="num">
                      {t('overview.calls')}
                    </th>
                    <th scope="col" className="num">
                      {t('overview.errors')}
                    </th>
                    <th scope="col" className="num">
                      {t('overview.avg')}
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {top.data.items.map((item) => (
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
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card title={t('overview.health24h')}>
          {health.error && !health.data ? (
            <MonitoringError error={health.error} onRetry={health.reload} />
          ) : !health.data ? (
            <Loading />
          ) : health.data.items.length === 0 ? (
            <div className="empty">
              {t('overview.noConnections')} <Link href="/connections">{t('connections.createOne')}</Link>.
            </div>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('overview.connection')}</th>
                    <th scope="col">{t('connections.health')}</th>
                    <th scope="col" className="num">
                      {t('overview.calls')}
                    </th>
                    <th scope="col" className="num">
                      {t('overview.success')}
                    </th>
                    <th scope="col" className="num">
                      {t('overview.avg')}
                    </th>
                    <th scope="col">{t('overview.lastCall')}</th>
                  </tr>
                </thead>
                <tbody>
                  {health.data.items.map((item) => (
                    <tr key={item.id}>
                      <td>
                        <Link href={`/connections/${item.id}`}>{item.name}</Link>
                        <div className="hint">{item.connectorName}</div>
                      </td>
                      <td>
                        <Badge value={item.healthStatus} />{' '}
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
                </tbody>
              </table>
            </div>
          )}
        </Card>
      </div>
    </>
  );
}
