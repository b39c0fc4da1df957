/** How many connections are healthy, degraded, unhealthy or not yet checked: one stacked bar and its legend. */
import { type MessageKey, t } from '../i18n';
import { Badge, formatNumber } from './ui';

export const HEALTH_STATES = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

const COLORS: Record<HealthState, string> = {
  healthy: '#2f9e44',
  degraded: '#f08c00',
  unhealthy: '#e03131',
  unknown: '#868e96',
};

export function healthLabel(state: string): string {
  return (HEALTH_STATES as readonly string[]).includes(state) ? t(`health.${state}` as MessageKey) : state;
}

/** A connection's health as a coloured badge, in the current language. */
export function HealthBadge({ value }: { value: string | null | undefined }) {
  return <Badge value={value} label={healthLabel(value ?? 'unknown')} />;
}

/** Counts per health state; any other value is counted as unknown. */
export function countHealth(statuses: string[]): Record<HealthState, number> {
  const counts: Record<HealthState, number> = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0 };
  for (const status of statuses) {
    const state = (HEALTH_STATES as readonly string[]).includes(status) ? (status as HealthState) : 'unknown';
    counts[state]++;
  }
  return counts;
}

export function StatusChart({ statuses }: { statuses: string[] }) {
  const counts = countHealth(statuses);
  const total = statuses.length;
  const summary = HEALTH_STATES.map((state) => `${healthLabel(state)}: ${formatNumber(counts[state])}`).join(
    ', ',
  );
  let offset = 0;
  return (
    <div className="status-chart" data-testid="status-chart">
      <svg
        viewBox="0 0 100 10"
        preserveAspectRatio="none"
        role="img"
        aria-label={t('overview.statusChartLabel', { total: formatNumber(total), summary })}
      >
        {HEALTH_STATES.map((state) => {
          const width = total > 0 ? (counts[state] / total) * 100 : 0;
          const x = offset;
          offset += width;
          return width > 0 ? (
            <rect key={state} x={x} y={0} width={width} height={10} fill={COLORS[state]} />
          ) : null;
        })}
      </svg>
      <ul className="status-legend">
        {HEALTH_STATES.map((state) => (
          <li key={state} data-health={state}>
            <span className="swatch" style={{ background: COLORS[state] }} aria-hidden="true" />
            <span>{healthLabel(state)}</span> <strong className="count">{formatNumber(counts[state])}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}
