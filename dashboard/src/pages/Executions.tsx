import { useEffect, useState } from 'react';
import { ADMIN, api, type Page } from '../api';
import { CallSummary, HTTP_METHODS } from '../components/ApiTester';
import {
  Badge,
  Card,
  Drawer,
  ErrorBox,
  Field,
  formatMs,
  formatNumber,
  Json,
  Loaded,
  Loading,
  PageHeader,
  States,
  Table,
  Time,
} from '../components/ui';
import { useLoad } from '../hooks';
import { formatDateTime, t } from '../i18n';
import { Link, navigate, useLocation } from '../router';
import type { Connection, Execution, ExecutionDetail } from '../types';

const RANGES: Record<string, number | null> = {
  '1h': 3600,
  '24h': 86_400,
  '7d': 7 * 86_400,
  '30d': 30 * 86_400,
  all: null,
};
const STATUSES = ['success', 'failed', 'timeout'];
const TYPES = ['api_call', 'batch', 'action', 'proxy'];
// Actions are logged with the method ACTION.
const METHODS = [...HTTP_METHODS, 'ACTION'];

interface Filters {
  range: string;
  connectionId: string;
  status: string;
  method: string;
  executionType: string;
  q: string;
}

function queryOf(filters: Filters) {
  const seconds = RANGES[filters.range];
  return {
    from: seconds ? new Date(Date.now() - seconds * 1000).toISOString() : undefined,
    connectionId: filters.connectionId,
    status: filters.status,
    method: filters.method,
    executionType: filters.executionType,
    q: filters.q.trim(),
  };
}

/** The execution log: every call made through the gateway, newest first, each opening to its detail. */
export function ExecutionsPage() {
  const { search } = useLocation();
  const openId = search.get('id');
  const [filters, setFilters] = useState<Filters>({
    range: '24h',
    connectionId: search.get('connectionId') ?? '',
    status: '',
    method: '',
    executionType: '',
    q: '',
  });
  const [q, setQ] = useState('');
  const [rows, setRows] = useState<Execution[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<Error>();
  const connections = useLoad(
    (signal) => api.get<Page<Connection>>(`${ADMIN}/connections`, { limit: 200 }, signal),
    [],
  );

  // Debounce the text search.
  useEffect(() => {
    const timer = setTimeout(() => setFilters((current) => ({ ...current, q })), 300);
    return () => clearTimeout(timer);
  }, [q]);

  const first = useLoad(
    (signal) => api.get<Page<Execution>>(`${ADMIN}/executions`, { ...queryOf(filters), limit: 50 }, signal),
    [filters],
  );
  useEffect(() => {
    if (first.data) {
      setRows(first.data.items);
      setCursor(first.data.nextCursor);
    }
  }, [first.data]);

  const loadMore = async () => {
    if (!cursor) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await api.get<Page<Execution>>(`${ADMIN}/executions`, {
        ...queryOf(filters),
        limit: 50,
        cursor,
      });
      setRows((current) => [...current, ...page.items]);
      setCursor(page.nextCursor);
    } catch (error) {
      setMoreError(error as Error);
    } finally {
      setLoadingMore(false);
    }
  };

  const set = (name: keyof Filters) => (event: { target: { value: string } }) =>
    setFilters((current) => ({ ...current, [name]: event.target.value }));
  const open = (id: string | null) => {
    const params = new URLSearchParams(location.search);
    if (id) params.set('id', id);
    else params.delete('id');
    const text = params.toString();
    navigate(`/executions${text ? `?${text}` : ''}`);
  };

  return (
    <>
      <PageHeader
        title={t('nav.executions')}
        actions={
          <>
            <button type="button" onClick={first.reload}>
              {t('ex.refresh')}
            </button>
            <button type="button" disabled={rows.length === 0} onClick={() => download(rows, 'csv')}>
              {t('ex.exportCsv')}
            </button>
            <button type="button" disabled={rows.length === 0} onClick={() => download(rows, 'json')}>
              {t('ex.exportJson')}
            </button>
          </>
        }
      >
        {t('ex.intro')}
      </PageHeader>
      <Card>
        <div className="filters">
          <Field label={t('ex.timeRange')} htmlFor="ex-range">
            <select id="ex-range" value={filters.range} onChange={set('range')}>
              {Object.keys(RANGES).map((item) => (
                <option key={item} value={item}>
                  {item === 'all' ? t('ex.allKept') : t('ex.lastRange', { range: item })}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('overview.connection')} htmlFor="ex-connection">
            <select id="ex-connection" value={filters.connectionId} onChange={set('connectionId')}>
              <option value="">{t('ui.any')}</option>
              {connections.data?.items.map((item) => (
                <option key={item.id} value={item.id}>
                  {item.name}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('connections.status')} htmlFor="ex-status">
            <select id="ex-status" value={filters.status} onChange={set('status')}>
              <option value="">{t('ui.any')}</option>
              {STATUSES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('ex.method')} htmlFor="ex-method">
            <select id="ex-method" value={filters.method} onChange={set('method')}>
              <option value="">{t('ui.any')}</option>
              {METHODS.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('ex.type')} htmlFor="ex-type">
            <select id="ex-type" value={filters.executionType} onChange={set('executionType')}>
              <option value="">{t('ui.any')}</option>
              {TYPES.map((item) => (
                <option key={item}>{item}</option>
              ))}
            </select>
          </Field>
          <Field label={t('ex.q')} htmlFor="ex-q">
            <input
              id="ex-q"
              type="search"
              value={q}
              onChange={(event) => setQ(event.target.value)}
              maxLength={200}
            />
          </Field>
        </div>
        {first.error && rows.length === 0 ? (
          <ErrorBox error={first.error} onRetry={first.reload} />
        ) : !first.data && first.loading ? (
          <Loading />
        ) : rows.length === 0 ? (
          <div className="empty">
            {t('ex.empty')} <Link href="/tester">{t('nav.tester')}</Link> {t('ex.panel')}
          </div>
        ) : (
          <>
            <ExecutionTable rows={rows} onOpen={open} showConnection />
            <ErrorBox error={moreError} />
            {cursor ? (
              <div className="form-actions left">
                <button type="button" onClick={() => void loadMore()} disabled={loadingMore}>
                  {loadingMore ? t('ui.loading') : t('ex.loadMore')}
                </button>
              </div>
            ) : null}
          </>
        )}
      </Card>
      {openId ? <ExecutionDrawer id={openId} onClose={() => open(null)} /> : null}
    </>
  );
}

export function ExecutionTable({
  rows,
  onOpen,
  showConnection,
}: {
  rows: Execution[];
  onOpen: (id: string) => void;
  showConnection?: boolean;
}) {
  return (
    <Table
      caption={t('nav.executions')}
      columns={[
        t('ex.when'),
        showConnection ? t('overview.connection') : null,
        t('ex.request'),
        t('connections.status'),
        { label: 'HTTP', num: true },
        { label: t('ex.time'), num: true },
        t('ex.cache'),
      ]}
    >
      {rows.map((row) => (
        <tr key={row.id} data-execution-id={row.id}>
          <td className="nowrap">
            <button
              type="button"
              className="link"
              onClick={() => onOpen(row.id)}
              aria-label={t('ex.open', { id: row.id })}
            >
              <Time value={row.startedAt} />
            </button>
          </td>
          {showConnection ? <td>{row.connectionName ?? row.connectionId.slice(0, 8)}</td> : null}
          <td>
            <code>{row.method ?? row.executionType}</code> <code className="url">{row.url ?? '—'}</code>
            {row.errorMessage ? (
              <div className="bad-text">
                {row.errorCode ? `${row.errorCode}: ` : ''}
                {row.errorMessage}
              </div>
            ) : null}
          </td>
          <td>
            <Badge value={row.status} />
          </td>
          <td className="num">{row.responseStatus ?? '—'}</td>
          <td className="num">{formatMs(row.executionTime)}</td>
          <td>{row.cached ? 'hit' : '—'}</td>
        </tr>
      ))}
    </Table>
  );
}

export function ExecutionDrawer({ id, onClose }: { id: string; onClose: () => void }) {
  const detail = useLoad(
    (signal) => api.get<ExecutionDetail>(`${ADMIN}/executions/${id}`, undefined, signal),
    [id],
  );
  return (
    <Drawer title={t('ex.execution')} onClose={onClose}>
      <Loaded state={detail}>
        {(item) => (
          <div className="stack" data-testid="execution-detail">
            <CallSummary
              status={item.status}
              httpStatus={item.responseStatus}
              durationMs={item.executionTime}
              cache={item.cached ? t('ex.fromCache') : t('ex.notCached')}
              retries={`${item.retryCount}/${item.maxRetries}`}
            />
            <dl className="details">
              <dt>{t('ex.request')}</dt>
              <dd>
                <code>{item.method ?? item.executionType}</code>{' '}
                <code className="url">{item.url ?? '—'}</code>
              </dd>
              <dt>{t('overview.connection')}</dt>
              <dd>
                <Link href={`/connections/${item.connectionId}`}>
                  {item.connectionName ?? item.connectionId}
                </Link>
              </dd>
              <dt>{t('ex.type')}</dt>
              <dd>{item.executionType}</dd>
              <dt>{t('ex.started')}</dt>
              <dd>
                <Time value={item.startedAt} />{' '}
                <span className="muted">({formatDateTime(item.startedAt)})</span>
              </dd>
              <dt>{t('ex.bytes')}</dt>
              <dd>{formatNumber(item.bytesTransferred)}</dd>
              <dt>{t('ex.triggeredBy')}</dt>
              <dd>{item.triggeredBy ?? '—'}</dd>
              <dt>Id</dt>
              <dd>
                <code>{item.id}</code>
              </dd>
            </dl>
            {item.errorMessage ? (
              <div className="error-box">
                {item.errorCode ? <strong>{item.errorCode}: </strong> : null}
                {item.errorMessage}
                {item.errorDetails ? <Json value={item.errorDetails} label={t('ex.errorDetails')} /> : null}
              </div>
            ) : null}
            <h3>{t('ex.requestHeaders')}</h3>
            <Json value={item.requestHeaders ?? {}} label={t('ex.requestHeaders')} />
            <h3>{t('ex.requestBody')}</h3>
            <Json value={item.requestBody ?? null} label={t('ex.requestBody')} />
            <h3>{t('ex.responseHeaders')}</h3>
            <Json value={item.responseHeaders ?? {}} label={t('ex.responseHeaders')} />
            <h3>{t('ex.responseBody')}</h3>
            <Json value={item.responseBody ?? null} label={t('ex.responseBody')} />
          </div>
        )}
      </Loaded>
    </Drawer>
  );
}

/** The last executions of one connection, for its detail page; reloads when `refresh` changes. */
export function RecentExecutions({ connectionId, refresh }: { connectionId: string; refresh: number }) {
  const [open, setOpen] = useState<string>();
  const list = useLoad(
    (signal) => api.get<Page<Execution>>(`${ADMIN}/executions`, { connectionId, limit: 10 }, signal),
    [connectionId, refresh],
  );
  // The gateway writes execution records in batches (about 250 ms): look again shortly after a call.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload once per refresh signal
  useEffect(() => {
    if (refresh === 0) return;
    const timer = setTimeout(list.reload, 1000);
    return () => clearTimeout(timer);
  }, [refresh]);
  return (
    <>
      <States
        loading={list.loading}
        error={list.error}
        data={list.data?.items}
        reload={list.reload}
        empty={t('ex.noneForConnection')}
      >
        {(items) => <ExecutionTable rows={items} onOpen={setOpen} />}
      </States>
      <p>
        <Link href={`/executions?connectionId=${connectionId}`}>{t('ex.allOfConnection')}</Link>
      </p>
      {open ? <ExecutionDrawer id={open} onClose={() => setOpen(undefined)} /> : null}
    </>
  );
}

const CSV_COLUMNS: (keyof Execution)[] = [
  'id',
  'startedAt',
  'connectionName',
  'connectionId',
  'executionType',
  'method',
  'url',
  'status',
  'responseStatus',
  'executionTime',
  'retryCount',
  'cached',
  'bytesTransferred',
  'errorCode',
  'errorMessage',
];

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // Quote always; neutralise spreadsheet formulas.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

function download(rows: Execution[], format: 'csv' | 'json') {
  const text =
    format === 'json'
      ? JSON.stringify(rows, null, 2)
      : [
          CSV_COLUMNS.join(','),
          ...rows.map((row) => CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')),
        ].join('\r\n');
  const blob = new Blob([text], { type: format === 'json' ? 'application/json' : 'text/csv' });
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `executions-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
