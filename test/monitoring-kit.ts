/** Helpers shared by the monitoring tests: connections, calls, an SSE reader. */
import { expect } from 'vitest';
import { waitFor } from './fakes/webhook-receiver.js';
import { call, type TestPlatform } from './support/platform.js';

export async function createRestConnection(
  t: TestPlatform,
  key: string,
  baseUrl: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const created = await call(t.baseUrl, 'POST', '/api/integrations/connections', {
    key,
    body: {
      connectorId: 'rest',
      name,
      config: { baseUrl, retry: { attempts: 1 } },
      authConfig: { type: 'api_key', in: 'header', name: 'X-Upstream-Key' },
      credentials: { apiKey: 'upstream-secret-abcdef123456' },
      ...extra,
    },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

export function execute(t: TestPlatform, key: string, connectionId: string, body: Record<string, unknown>) {
  return call(t.baseUrl, 'POST', `/api/v1/connections/${connectionId}/execute`, { key, body });
}

export interface SseEvent {
  event: string;
  data: any;
}

export interface SseReader {
  status: number;
  headers: Headers;
  events: SseEvent[];
  next(event: string, match?: (data: any) => boolean): Promise<SseEvent>;
  close(): void;
}

/** Opens an SSE stream with fetch and parses `event:`/`data:` frames as they arrive. */
export async function openStream(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  if (response.ok && response.body) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            let event = 'message';
            let data = '';
            for (const line of frame.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) events.push({ event, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return {
    status: response.status,
    headers: response.headers,
    events,
    next: (event, match = () => true) =>
      waitFor(() => events.find((e) => e.event === event && match(e.data)), `SSE ${event}`, 10_000),
    close: () => controller.abort(),
  };
}
