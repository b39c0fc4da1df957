/**
 * Metrics whose values are computed when Prometheus scrapes, not when something happens. prom-client's
 * own Counter/Histogram allocate a label object and hash it on every observation; the gateway's
 * recorder keeps plain numbers instead (see recorder.ts) and hands them over here at scrape time. The
 * registry formats and escapes the values: it only needs `name`, `help`, `type` and `get()`.
 */
import type { MetricValue, Registry } from 'prom-client';

type MetricType = 'counter' | 'gauge' | 'histogram';
/**
 * How `kryonix start --workers N` merges the workers' values (prom-client's cluster aggregation):
 * `sum` for counts, `max` for per-process states where any worker's counts, `first` for values every
 * worker reads from the shared database.
 */
type Aggregator = 'sum' | 'max' | 'first';

export type Labels = Record<string, string | number>;

export interface Sample {
  labels?: Labels;
  value: number;
  /** For histogram series: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

interface CollectedMetric {
  name: string;
  help: string;
  type: MetricType;
  aggregator: Aggregator;
  get(): Promise<{
    name: string;
    help: string;
    type: MetricType;
    values: MetricValue<string>[];
    aggregator: Aggregator;
  }>;
  reset(): void;
}

/** Registers a metric whose samples `collect` returns at scrape time (it may query, cheaply). */
export function registerCollected(
  registry: Registry,
  spec: { name: string; help: string; type: MetricType; aggregator?: Aggregator },
  collect: () => Sample[] | Promise<Sample[]>,
): void {
  const aggregator = spec.aggregator ?? 'sum';
  const metric: CollectedMetric = {
    name: spec.name,
    help: spec.help,
    type: spec.type,
    aggregator,
    async get() {
      const samples = await collect();
      return {
        name: spec.name,
        help: spec.help,
        type: spec.type,
        aggregator,
        values: samples.map((sample) => ({
          labels: sample.labels ?? {},
          value: sample.value,
          ...(sample.metricName ? { metricName: sample.metricName } : {}),
        })) as MetricValue<string>[],
      };
    },
    reset() {},
  };
  registry.registerMetric(metric as never);
}

/** Cumulative histogram samples from per-bucket counts (`counts[i]` = observations in bucket i, last = +Inf). */
export function histogramSamples(
  name: string,
  bounds: readonly number[],
  counts: ArrayLike<number>,
  sum: number,
  labels: Labels = {},
): Sample[] {
  const samples: Sample[] = [];
  let cumulative = 0;
  for (let i = 0; i < bounds.length; i++) {
    cumulative += counts[i];
    samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: bounds[i] }, value: cumulative });
  }
  cumulative += counts[bounds.length];
  samples.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: cumulative });
  samples.push({ metricName: `${name}_sum`, labels, value: sum });
  samples.push({ metricName: `${name}_count`, labels, value: cumulative });
  return samples;
}
