/**
 * The live stream (`GET /api/integrations/stream`, Server-Sent Events). EventSource cannot send headers,
 * so the key goes as `?access_token=`, which only this route accepts. One EventSource per page that
 * listens; the browser reconnects by itself after a drop.
 */
import { useEffect, useRef, useState } from 'react';
import { ADMIN, storedKey } from './api';
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
