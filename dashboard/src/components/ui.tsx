/** Small building blocks every page uses: cards, tables, badges, states, drawer, JSON and time display. */
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { ApiError } from '../api';
import { formatDateTime, formatNumber as formatLocaleNumber, formatRelative, t } from '../i18n';

export function PageHeader({
  title,
  actions,
  children,
}: {
  title: string;
  actions?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {children ? <p className="muted">{children}</p> : null}
      </div>
      {actions ? <div className="actions">{actions}</div> : null}
    </header>
  );
}

export function Card({
  title,
  actions,
  children,
  className,
}: {
  title?: string;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
}) {
  const id = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={title ? id : undefined}>
      {title ? (
        <div className="card-head">
          <h2 id={id}>{title}</h2>
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

/** A column heading; `num` right-aligns a column of figures. `null` leaves a column out. */
export type Column = string | { label: string; num: true } | null;

/**
 * A data table: the scrolling wrapper, a caption for screen readers, the column headings (and, with
 * `actions`, a last column of row buttons whose heading only screen readers hear), then the rows.
 */
export function Table({
  caption,
  columns,
  actions = false,
  children,
}: {
  caption?: string;
  columns: Column[];
  actions?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="table-wrap">
      <table>
        {caption ? <caption className="sr-only">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((column) =>
              column === null ? null : typeof column === 'string' ? (
                <th key={column} scope="col">
                  {column}
                </th>
              ) : (
                <th key={column.label} scope="col" className="num">
                  {column.label}
                </th>
              ),
            )}
            {actions ? (
              <th scope="col">
                <span className="sr-only">{t('ui.actions')}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A table row's delete button: deletes once the user confirms `question`. */
export function RowDelete({ question, onDelete }: { question: string; onDelete: () => void }) {
  return (
    <button
      type="button"
      className="small danger"
      onClick={() => {
        if (window.confirm(question)) onDelete();
      }}
    >
      {t('detail.delete')}
    </button>
  );
}

/** An editable row's enable/disable button and its delete button (which asks `question` first). */
export function RowToggleAndDelete({
  active,
  onToggle,
  question,
  onDelete,
}: {
  active: boolean;
  onToggle: () => void;
  question: string;
  onDelete: () => void;
}) {
  return (
    <>
      <button type="button" className="small" onClick={onToggle}>
        {active ? t('detail.disable') : t('detail.enable')}
      </button>
      <RowDelete question={question} onDelete={onDelete} />
    </>
  );
}

export function Kpi({
  kpi,
  label,
  value,
  hint,
  tone,
}: {
  /** A stable name for data-kpi (tests), whatever the language. */
  kpi?: string;
  label: string;
  value: ReactNode;
  hint?: string;
  tone?: 'good' | 'bad' | 'warn';
}) {
  return (
    <div className={`kpi ${tone ?? ''}`} data-kpi={kpi ?? label}>
      <div className="kpi-label">{label}</div>
      <div className="kpi-value">{value}</div>
      {hint ? <div className="kpi-hint">{hint}</div> : null}
    </div>
  );
}

const TONES: Record<string, string> = {
  active: 'good',
  healthy: 'good',
  success: 'good',
  delivered: 'good',
  received: 'good',
  resolved: 'good',
  ok: 'good',
  true: 'good',
  degraded: 'warn',
  pending: 'warn',
  retrying: 'warn',
  retry_scheduled: 'warn',
  testing: 'warn',
  acknowledged: 'warn',
  warning: 'warn',
  firing: 'bad',
  triggered: 'bad',
  error: 'bad',
  failed: 'bad',
  unhealthy: 'bad',
  dead: 'bad',
  critical: 'bad',
  timeout: 'bad',
  false: 'bad',
};

export function Badge({ value, label }: { value: string | boolean | null | undefined; label?: string }) {
  const text = value === null || value === undefined ? t('ui.unknown') : String(value);
  return <span className={`badge ${TONES[text.toLowerCase()] ?? 'neutral'}`}>{label ?? text}</span>;
}

/** A route this platform build does not have answers 404 KRX_ROUTE_NOT_FOUND: said plainly, no retry. */
function isMissingRoute(error: Error): boolean {
  return error instanceof ApiError && error.status === 404 && error.code === 'KRX_ROUTE_NOT_FOUND';
}

export function ErrorBox({ error, onRetry }: { error: Error | undefined; onRetry?: () => void }) {
  if (!error) return null;
  if (isMissingRoute(error)) return <div className="empty">{t('ui.routeMissing')}</div>;
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <div className="error-box" role="alert">
      <strong>{error instanceof ApiError && error.code ? `${error.code}: ` : ''}</strong>
      {error.message}
      {issues.length > 0 ? (
        <ul>
          {issues.map((issue) => (
            <li key={issue.path + issue.message}>
              <code>{issue.path}</code> {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
      {onRetry ? (
        <button type="button" className="link" onClick={onRetry}>
          {t('ui.tryAgain')}
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ label = t('ui.loading') }: { label?: string }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

/** Loading / error / empty around a list, so every page shows the three the same way. */
export function States<T>({
  loading,
  error,
  data,
  empty,
  reload,
  children,
}: {
  loading: boolean;
  error: Error | undefined;
  data: T[] | undefined;
  empty: ReactNode;
  reload?: () => void;
  children: (items: T[]) => ReactNode;
}) {
  if (error && !data) return <ErrorBox error={error} onRetry={reload} />;
  if (!data) return loading ? <Loading /> : null;
  if (data.length === 0) return <Empty>{empty}</Empty>;
  return (
    <>
      {error ? <ErrorBox error={error} onRetry={reload} /> : null}
      {children(data)}
    </>
  );
}

/** Loading / error around one loaded object, the single-object twin of States. */
export function Loaded<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: Error | undefined; reload: () => void };
  children: (data: T) => ReactNode;
}) {
  if (state.data === undefined) {
    return state.error ? <ErrorBox error={state.error} onRetry={state.reload} /> : <Loading />;
  }
  return (
    <>
      {state.error ? <ErrorBox error={state.error} onRetry={state.reload} /> : null}
      {children(state.data)}
    </>
  );
}

export function Drawer({
  title,
  onClose,
  children,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onClose();
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="drawer-backdrop">
      <button
        type="button"
        className="drawer-scrim"
        aria-label={t('ui.close')}
        tabIndex={-1}
        onClick={onClose}
      />
      <div className="drawer" role="dialog" aria-modal="true" aria-labelledby={id} tabIndex={-1} ref={ref}>
        <div className="drawer-head">
          <h2 id={id}>{title}</h2>
          <button type="button" className="icon" onClick={onClose} aria-label={t('ui.close')}>
            ×
          </button>
        </div>
        <div className="drawer-body">{children}</div>
      </div>
    </div>
  );
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <pre className="json" data-label={label}>
      {text === undefined ? '—' : text}
    </pre>
  );
}

export function Time({ value }: { value: string | number | null | undefined }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>;
  const date = new Date(value);
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)}>
      {relative(date)}
    </time>
  );
}

export function relative(date: Date): string {
  const seconds = Math.round((Date.now() - date.getTime()) / 1000);
  const abs = Math.abs(seconds);
  const sign = seconds >= 0 ? -1 : 1;
  if (abs < 5) return t('ui.justNow');
  if (abs < 60) return formatRelative(sign * abs, 'second');
  if (abs < 3600) return formatRelative(sign * Math.round(abs / 60), 'minute');
  if (abs < 86_400) return formatRelative(sign * Math.round(abs / 3600), 'hour');
  return formatDateTime(date, { dateStyle: 'medium' });
}

export function CopyButton({ text, label = t('ui.copy') }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="small"
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 1500);
        });
      }}
    >
      {copied ? t('ui.copied') : label}
    </button>
  );
}

export function Field({
  label,
  hint,
  children,
  htmlFor,
}: {
  label: string;
  hint?: string;
  children: ReactNode;
  htmlFor?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={htmlFor}>{label}</label>
      {children}
      {hint ? <div className="hint">{hint}</div> : null}
    </div>
  );
}

export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return formatLocaleNumber(value, { maximumFractionDigits: digits });
}

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return value >= 1000
    ? `${formatLocaleNumber(value / 1000, { minimumFractionDigits: 2, maximumFractionDigits: 2 })} s`
    : `${formatLocaleNumber(Math.round(value))} ms`;
}

export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  const digits = value >= 0.999 || value === 0 ? 0 : 1;
  return `${formatLocaleNumber(value * 100, { minimumFractionDigits: digits, maximumFractionDigits: digits })}%`;
}
