import { describe, expect, it, vi } from 'vitest';
import { createEventBus, type PlatformEvent } from '../platform/events.js';
import { createStreamHub, type StreamClient, type StreamRelay } from './stream.js';

/** Relays joined in memory as Redis pub/sub would join them: a node does not hear itself. */
function network() {
  const nodes = new Map<string, (message: string) => void>();
  const sent: Array<{ from: string; message: any }> = [];
  return {
    sent,
    relay(nodeId: string): StreamRelay {
      return {
        nodeId,
        send(message) {
          sent.push({ from: nodeId, message: JSON.parse(message) });
          for (const [id, receive] of nodes) if (id !== nodeId) queueMicrotask(() => receive(message));
        },
        async subscribe(receive) {
          nodes.set(nodeId, receive);
        },
      };
    },
  };
}

function client(types: StreamClient['types'] = new Set()) {
  const chunks: string[] = [];
  const write = (chunk: string) => {
    chunks.push(chunk);
    return 0;
  };
  return { chunks, types, write, close() {} };
}

const call = (tenantId: string, i: number) => ({
  tenantId,
  connectionId: 'c1',
  executionId: `e${i}`,
  statusCode: 200,
  durationMs: 3,
});

describe('stream hub across nodes', () => {
  it('shows another node’s events to the watching tenant only, in few relay messages, off the bus', async () => {
    const net = network();
    const busA = createEventBus();
    const busB = createEventBus();
    const onB: PlatformEvent[] = [];
    busB.subscribe('*', (event) => void onB.push(event));
    const hubA = createStreamHub(busA, { relay: net.relay('A') });
    const hubB = createStreamHub(busB, { relay: net.relay('B') });
    const watcher = client();
    const other = client();
    const stop = hubB.add('tenant-1', watcher);
    hubB.add('tenant-2', other);
    // Node A learns what B watches from B's announcement.
    await vi.waitFor(() =>
      expect(net.sent.some((s) => s.from === 'B' && s.message.w?.includes('tenant-1'))).toBe(true),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = net.sent.length;

    for (let i = 0; i < 200; i++) busA.publish('api.call.success', call('tenant-1', i));
    busA.publish('api.call.error', call('tenant-3', 999));
    await vi.waitFor(() => expect(watcher.chunks).toHaveLength(200));
    expect(watcher.chunks[0]).toMatch(/^event: execution\ndata: \{"executionId":"e0"/);
    expect(other.chunks).toEqual([]);
    const relayed = net.sent.slice(before).filter((s) => s.from === 'A');
    // Coalesced: 200 calls in one message (two at most if a flush fell in between).
    expect(relayed.length).toBeLessThanOrEqual(2);
    // The unwatched tenant's event was neither formatted nor sent.
    expect(JSON.stringify(relayed)).not.toContain('tenant-3');
    // Node B's bus never saw the relayed events: its outbox, metrics and caches do not act again.
    expect(onB).toEqual([]);

    // B's last client of the tenant leaves: A stops relaying it.
    stop();
    await vi.waitFor(() =>
      expect(net.sent.some((s) => s.from === 'B' && s.message.w && !s.message.w.includes('tenant-1'))).toBe(
        true,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const after = net.sent.length;
    busA.publish('api.call.success', call('tenant-1', 1000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(net.sent.slice(after).filter((s) => s.from === 'A')).toEqual([]);
    hubA.close();
    hubB.close();
  });

  it('ignores events the event bus relayed from another node', () => {
    const bus = createEventBus({
      transport: {
        broadcast: async () => {},
        onRemote(receive) {
          queueMicrotask(() =>
            receive({ type: 'api.call.success', data: call('tenant-1', 1), time: new Date().toISOString() }),
          );
        },
        close: async () => {},
      },
    });
    const hub = createStreamHub(bus);
    const watcher = client();
    hub.add('tenant-1', watcher);
    return new Promise<void>((resolve) =>
      setTimeout(() => {
        expect(watcher.chunks).toEqual([]);
        hub.close();
        resolve();
      }, 10),
    );
  });
});
