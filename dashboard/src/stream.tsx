/**
 * The live stream (`GET /api/integrations/stream`, Server-Sent Events). EventSource cannot send headers,
 * so the key goes as `?access_token=`, which only this route accepts. One EventSource per page that
 * listens; the browser reconnects by itself after a drop.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ADMIN, storedKey } from './api';
import { useInterval } from './hooks';
import { t } from './i18n';
import type { StreamEvent } from './types';

export const STREAM_EVENTS = ['execution', 'delivery', 'health', 'circuit', 'alert'] as const;

export type StreamState = 'connecting' | 'open' | 'closed';

export function useStream(onEvent: (event: StreamEvent) => void, enabled = true): StreamState {
  const [state, setState] = useState<StreamState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;

  useEffect(() => {
    const key = storedKey();
    if (!enabled || !key || typeof EventSource === 'undefined') {
      setState('closed');
      return;
    }
    setState('connecting');
    const source = new EventSource(`${ADMIN}/stream?access_token=${encodeURIComponent(key)}`);
    source.addEventListener('ready', () => setState('open'));
    source.onopen = () => setState('open');
    source.onerror = () => setState(source.readyState === EventSource.CLOSED ? 'closed' : 'connecting');
    const listeners = STREAM_EVENTS.map((name) => {
      const listener = (message: MessageEvent<string>) => {
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(message.data);
        } catch {
          return;
        }
        handler.current({ event: name, data, receivedAt: Date.now() });
      };
      source.addEventListener(name, listener);
      return [name, listener] as const;
    });
    return () => {
      for (const [name, listener] of listeners) source.removeEventListener(name, listener);
      source.close();
    };
  }, [enabled]);

  return state;
}

/**
 * A counter to put in the deps of the loads that show live numbers: events for which `matches` says yes
 * mark them stale and the counter moves at most every 3 s (pushed, not polled); without the stream it
 * moves every 30 s instead.
 */
export function useLiveRefresh(matches: (event: StreamEvent) => boolean = () => true): {
  tick: number;
  state: StreamState;
} {
  const [tick, setTick] = useState(0);
  const stale = useRef(false);
  const matchesRef = useRef(matches);
  matchesRef.current = matches;
  const onEvent = useCallback((event: StreamEvent) => {
    if (matchesRef.current(event)) stale.current = true;
  }, []);
  const state = useStream(onEvent);
  useInterval(() => {
    if (stale.current) {
      stale.current = false;
      setTick((value) => value + 1);
    }
  }, 3000);
  useInterval(() => setTick((value) => value + 1), state === 'open' ? null : 30_000);
  return { tick, state };
}

export function StreamBadge({ state }: { state: StreamState }) {
  const label =
    state === 'open'
      ? t('stream.live')
      : state === 'connecting'
        ? t('stream.connecting')
        : t('stream.offline');
  return (
    <span className="stream-state" role="status" aria-live="polite">
      <span className={`live-dot ${state === 'open' ? 'on' : ''}`} aria-hidden="true" />
      {label}
    </span>
  );
}
