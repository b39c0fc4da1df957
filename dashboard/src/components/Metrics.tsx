/**
 * The call statistics of GET /api/integrations/metrics as KPIs and a chart: the overview shows the
 * tenant's, a connection's detail page the same pieces filtered to that connection.
 */
import { useMemo } from 'react';
import { formatNumber as formatLocaleNumber, t } from '../i18n';
import type { MetricsAnswer, Stats } from '../types';
import { type Series, TimeSeriesChart } from './TimeSeriesChart';
import { formatMs, formatNumber, Kpi } from './ui';

export const RANGES = ['1h', '24h', '7d', '30d'] as const;
export type Range = (typeof RANGES)[number];

/** Hourly buckets up to a day, daily ones beyond. */
export function groupByOf(range: Range): 'hour' | 'day' {
  return range === '7d' || range === '30d' ? 'day' : 'hour';
}

/** A percent the API already gives as 0–100. */
export function percent(value: number | null | undefined): string {
  return value === null || value === undefined
    ? '—'
    : `${formatNumber(value, value >= 99.95 || value === 0 ? 0 : 1)}%`;
}

function toneOfRate(rate: number | null | undefined): 'good' | 'warn' | 'bad' | undefined {
  if (rate === null || rate === undefined) return undefined;
  return rate >= 99 ? 'good' : rate >= 95 ? 'warn' : 'bad';
}

/** The 1h/24h/7d/30d switch, a labelled radio group. */
export function RangeSwitch({ value, onChange }: { value: Range; onChange: (range: Range) => void }) {
  return (
    <fieldset className="segmented" aria-label={t('overview.timeRange')}>
      {RANGES.map((item) => (
        <label key={item} className={item === value ? 'on' : ''}>
          <input
            type="radio"
            name="range"
            value={item}
            checked={item === value}
            onChange={() => onChange(item)}
          />
          {item}
        </label>
      ))}
    </fieldset>
  );
}

/** Calls, success rate, latency, errors and cache hits of a range. */
export function StatsKpis({ totals, range }: { totals: Stats | undefined; range: Range }) {
  const cacheLookups = totals ? totals.cacheHits + totals.cacheMisses : 0;
  return (
    <>
      <Kpi
        kpi="Calls"
        label={t('overview.calls')}
        value={formatNumber(totals?.totalRequests)}
        hint={t('overview.last', { range })}
      />
      <Kpi
        kpi="Success rate"
        label={t('overview.successRate')}
        value={percent(totals?.successRate)}
        tone={toneOfRate(totals?.successRate)}
      />
      <Kpi kpi="Avg latency" label={t('overview.avgLatency')} value={formatMs(totals?.avgResponseTime)} />
      <Kpi kpi="p95 latency" label={t('overview.p95Latency')} value={formatMs(totals?.p95ResponseTime)} />
      <Kpi
        kpi="Errors"
        label={t('overview.errors')}
        value={formatNumber(totals?.failedRequests)}
        tone={totals ? (totals.failedRequests > 0 ? 'bad' : 'good') : undefined}
      />
      <Kpi
        kpi="Cache hits"
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
    </>
  );
}

/** Calls per bucket (the failed share in red) with average and p95 latency on a second axis. */
export function CallChart({ answer, range }: { answer: MetricsAnswer; range: Range }) {
  const chart = useMemo(() => {
    const groups = answer.groups;
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
  }, [answer]);
  return (
    <div data-total-calls={answer.totals.totalRequests}>
      <TimeSeriesChart
        times={chart.times}
        series={chart.series}
        label={t('overview.chartLabel', {
          per: answer.groupBy === 'day' ? t('overview.perDay') : t('overview.perHour'),
          range,
          calls: formatLocaleNumber(answer.totals.totalRequests),
        })}
      />
    </div>
  );
}
