import { type ReactNode, useCallback, useState } from 'react';
import { HealthBadge } from '../components/StatusChart';
import { Badge, Card, formatMs, PageHeader } from '../components/ui';
import { formatDateTime, type MessageKey, t } from '../i18n';
import { Link } from '../router';
import { STREAM_EVENTS, StreamBadge, useStream } from '../stream';
import type { StreamEvent } from '../types';
import { ExecutionDrawer } from './Executions';

const KEEP = 200;

/** Executions, deliveries, health changes, circuits and alerts as they happen (SSE). */
export function LivePage() {
  const [events, setEvents] = useState<StreamEvent[]>([]);
  const [paused, setPaused] = useState(false);
  const [shown, setShown] = useState<Set<string>>(new Set(STREAM_EVENTS));
  const [open, setOpen] = useState<string>();
  const onEvent = useCallback(
    (event: StreamEvent) => {
      if (!paused) setEvents((current) => [event, ...current].slice(0, KEEP));
    },
    [paused],
  );
  const state = useStream(onEvent);
  const visible = events.filter((event) => shown.has(event.event));

  return (
    <>
      <PageHeader
        title={t('nav.live')}
        actions={
          <>
            <StreamBadge state={state} />
            <button type="button" onClick={() => setPaused((value) => !value)} aria-pressed={paused}>
              {paused ? t('live.resume') : t('live.pause')}
            </button>
            <button type="button" onClick={() => setEvents([])} disabled={events.length === 0}>
              {t('live.clear')}
            </button>
          </>
        }
      >
        {t('live.intro', { keep: KEEP })}
      </PageHeader>
      <Card>
        <fieldset className="checks inline">
          <legend className="sr-only">{t('live.show')}</legend>
          {STREAM_EVENTS.map((name) => (
            <label key={name} className="check">
              <input
                type="checkbox"
                checked={shown.has(name)}
                onChange={(event) =>
                  setShown((current) => {
                    const next = new Set(current);
                    if (event.target.checked) next.add(name);
                    else next.delete(name);
                    return next;
                  })
                }
              />{' '}
              {eventLabel(name)}
            </label>
          ))}
        </fieldset>
        {visible.length === 0 ? (
          <div className="empty">{state === 'open' ? t('live.waiting') : t('live.connecting')}</div>
        ) : (
          <ol className="live-list" aria-live="polite" aria-relevant="additions">
            {visible.map((event) => (
              <li
                key={`${event.receivedAt}-${String(event.data.executionId ?? event.data.eventId ?? event.data.deliveryId ?? '')}-${event.event}`}
              >
                <LiveEvent event={event} onOpen={setOpen} />
              </li>
            ))}
          </ol>
        )}
      </Card>
      {open ? <ExecutionDrawer id={open} onClose={() => setOpen(undefined)} /> : null}
    </>
  );
}

function eventLabel(name: string): string {
  return (STREAM_EVENTS as readonly string[]).includes(name) ? t(`live.e.${name}` as MessageKey) : name;
}

function LiveEvent({ event, onOpen }: { event: StreamEvent; onOpen: (id: string) => void }) {
  const data = event.data;
  const time = formatDateTime(typeof data.time === 'string' ? data.time : event.receivedAt, {
    timeStyle: 'medium',
  });
  const text = (value: unknown) => (value === undefined || value === null ? '' : String(value));
  let body: ReactNode;
  switch (event.event) {
    case 'execution':
      body = (
        <>
          <Badge value={text(data.status)} /> <code>{text(data.executionType)}</code> HTTP{' '}
          {text(data.statusCode) || '—'} ·{' '}
          {formatMs(typeof data.durationMs === 'number' ? data.durationMs : null)}
          {data.cacheStatus ? ` · ${t('live.cache', { status: text(data.cacheStatus) })}` : ''}
          {data.code ? <code className="bad-text"> {text(data.code)}</code> : null} ·{' '}
          <Link href={`/connections/${text(data.connectionId)}`}>{t('live.connection')}</Link>
          {data.executionId ? (
            <>
              {' '}
              ·{' '}
              <button type="button" className="link" onClick={() => onOpen(text(data.executionId))}>
                {t('live.details')}
              </button>
            </>
          ) : null}
        </>
      );
      break;
    case 'delivery':
      body = (
        <>
          <Badge value={text(data.kind)} label={text(data.kind).replace('_', ' ')} />{' '}
          {data.endpointId ? t('live.webhookEndpoint') : t('live.webhookSubscription')}{' '}
          <Link
            href={`/webhooks?tab=deliveries${data.subscriptionId ? `&subscriptionId=${text(data.subscriptionId)}` : data.endpointId ? `&endpointId=${text(data.endpointId)}` : ''}`}
          >
            {t('live.deliveries')}
          </Link>
        </>
      );
      break;
    case 'health':
      body = (
        <>
          <HealthBadge value={text(data.previous)} /> → <HealthBadge value={text(data.current)} /> ·{' '}
          <Link href={`/connections/${text(data.connectionId)}`}>{t('live.connection')}</Link>
        </>
      );
      break;
    case 'circuit':
      body = (
        <>
          <Badge value={text(data.state) === 'open' ? 'failed' : 'success'} label={text(data.state)} /> ·{' '}
          <Link href={`/connections/${text(data.connectionId)}`}>{t('live.connection')}</Link>
        </>
      );
      break;
    case 'alert':
      body = (
        <>
          <Badge value={text(data.state)} /> <Badge value={text(data.severity)} /> {text(data.message)} ·{' '}
          <Link href="/alerts">{t('live.alerts')}</Link>
        </>
      );
      break;
    default:
      body = <code>{JSON.stringify(data)}</code>;
  }
  return (
    <div className={`live-event ${event.event}`} data-event={event.event}>
      <time className="muted">{time}</time> <strong>{eventLabel(event.event)}</strong> {body}
    </div>
  );
}
