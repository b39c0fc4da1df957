/** A time-series chart on uPlot (45 kB, canvas): one x axis of times, one or more series. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatDateTime, formatNumber, t } from '../i18n';

export interface Series {
  label: string;
  values: (number | null)[];
  color: string;
  /** Drawn as bars instead of a line. */
  bars?: boolean;
  /** Second y axis (right), e.g. latency beside counts. */
  right?: boolean;
  unit?: string;
}

interface Props {
  /** Unix seconds. */
  times: number[];
  series: Series[];
  height?: number;
  label: string;
}

export function TimeSeriesChart({ times, series, height = 240, label }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const styles = getComputedStyle(document.documentElement);
    const axisColor = styles.getPropertyValue('--muted').trim() || '#667';
    const gridColor = styles.getPropertyValue('--grid').trim() || '#e5e7eb';
    const hasRight = series.some((item) => item.right);
    const options: uPlot.Options = {
      width: element.clientWidth || 600,
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max ?? min ?? 1)] } },
      axes: [
        {
          stroke: axisColor,
          grid: { stroke: gridColor, width: 1 },
          ticks: { stroke: gridColor },
          // Room for "12:00 AM" between ticks, also on a phone.
          space: 80,
          // Tick labels in the chosen locale (uPlot's own are English).
          values: (_u: uPlot, ticks: number[]) => {
            const step = ticks.length > 1 ? ticks[1] - ticks[0] : 3600;
            const options: Intl.DateTimeFormatOptions =
              step < 86_400 ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' };
            return ticks.map((tick) => formatDateTime(tick * 1000, options));
          },
        },
        { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor }, size: 50 },
        ...(hasRight
          ? [
              {
                scale: 'right',
                side: 1 as const,
                stroke: axisColor,
                grid: { show: false },
                size: 60,
                values: (_u: uPlot, ticks: number[]) => ticks.map((tick) => `${formatNumber(tick)} ms`),
              },
            ]
          : []),
      ],
      series: [
        {
          label: t('chart.time'),
          value: (_u: uPlot, raw: number | null) =>
            raw === null ? '—' : formatDateTime(raw * 1000, { dateStyle: 'short', timeStyle: 'short' }),
        },
        ...series.map((item) => ({
          label: item.label,
          stroke: item.color,
          width: 2,
          scale: item.right ? 'right' : 'y',
          fill: item.bars ? `${item.color}99` : `${item.color}1f`,
          paths: item.bars ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
          // A lone measurement between empty buckets has no line to draw: show the points of lines.
          points: { show: !item.bars, size: 5 },
          value: (_u: uPlot, raw: number | null) =>
            raw === null ? '—' : `${formatNumber(raw, { maximumFractionDigits: 2 })}${item.unit ?? ''}`,
        })),
      ],
    };
    if (hasRight) options.scales!.right = { range: (_u, _min, max) => [0, Math.max(10, max ?? 10)] };
    // Empty bars are gaps, not zero-height bars drawn as a dashed baseline.
    const data: uPlot.AlignedData = [
      times,
      ...series.map((item) => (item.bars ? item.values.map((value) => value || null) : item.values)),
    ];
    chart.current = new uPlot(options, data, element);
    const observer = new ResizeObserver(() => {
      chart.current?.setSize({ width: element.clientWidth, height });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.current?.destroy();
      chart.current = null;
    };
  }, [times, series, height]);

  return <div className="chart" ref={container} role="img" aria-label={label} />;
}
