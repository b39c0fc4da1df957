import { describe, expect, it, vi } from 'vitest';
import { createRedisEventTransport } from './event-transport.js';
import { createEventBus, type EventTransport, matchesEventPattern, type PlatformEvent } from './events.js';
import type { PlatformRedis } from './redis.js';

const call = { tenantId: 't', connectionId: 'c', executionId: 'e' };

describe('event patterns', () => {
  it('match an exact type, a prefix wildcard on a dot boundary, or everything', () => {
    expect(matchesEventPattern('api.call.success', 'api.call.success')).toBe(true);
    expect(matchesEventPattern('api.call.*', 'api.call.success')).toBe(true);
    expect(matchesEventPattern('api.call.*', 'api.call.error')).toBe(true);
    expect(matchesEventPattern('api.*', 'api.call.error')).toBe(true);
    expect(matchesEventPattern('*', 'tenant.updated')).toBe(true);
    expect(matchesEventPattern('api.call.*', 'api.call')).toBe(false);
    expect(matchesEventPattern('api.call.*', 'api.caller.x')).toBe(false);
    expect(matchesEventPattern('api.call.success', 'api.call.error')).toBe(false);
    expect(matchesEventPattern('api.call', 'api.call.success')).toBe(false);
  });
});

describe('event bus', () => {
  it('delivers to exact and wildcard subscribers, with the type and time, until they unsubscribe', () => {
    const bus = createEventBus();
    const seen: string[] = [];
    const offExact = bus.subscribe('api.call.success', (event) => {
      seen.push(`exact:${event.type}`);
    });
    bus.subscribe('api.call.*', (event) => {
      seen.push(`prefix:${event.type}`);
    });
    const offAll = bus.subscribe('*', (event) => {
      seen.push(`all:${event.type}`);
      expect(Date.parse(event.time)).not.toBeNaN();
      expect(event.remote).toBeUndefined();
    });
    bus.publish('api.call.success', call);
    bus.publish('api.call.error', call);
    bus.publish('tenant.updated', { tenantId: 't' });
    expect(seen).toEqual([
      'exact:api.call.success',
      'prefix:api.call.success',
      'all:api.call.success',
      'prefix:api.call.error',
      'all:api.call.error',
      'all:tenant.updated',
    ]);

    seen.length = 0;
    offExact();
    offAll();
    offAll(); // twice is harmless
    bus.publish('api.call.success', call);
    expect(seen).toEqual(['prefix:api.call.success']);
  });

  it('keeps delivering when a subscriber throws or rejects, and reports it', async () => {
    const failures: unknown[] = [];
    const bus = createEventBus({ onHandlerError: (error) => failures.push(error) });
    const after = vi.fn();
    bus.subscribe('*', () => {
      throw new Error('sync');
    });
    bus.subscribe('*', async () => {
      throw new Error('async');
    });
    bus.subscribe('*', after);
    expect(() => bus.publish('tenant.updated', { tenantId: 't' })).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(after).toHaveBeenCalledOnce();
    expect(failures.map((error) => (error as Error).message).sort()).toEqual(['async', 'sync']);
  });

  it('hands every published event to its transport, delivers remote ones marked remote without sending them back, and closes it', async () => {
    let receive: ((event: PlatformEvent) => void) | undefined;
    const transport: EventTransport = {
      broadcast: vi.fn(async () => {}),
      onRemote: (handler) => {
        receive = handler;
      },
      close: vi.fn(async () => {}),
    };
    const bus = createEventBus({ transport });
    const seen: PlatformEvent[] = [];
    bus.subscribe('*', (event) => {
      seen.push(event);
    });
    bus.publish('connection.updated', { tenantId: 't', connectionId: 'c' });
    expect(transport.broadcast).toHaveBeenCalledWith(
      expect.objectContaining({ type: 'connection.updated', data: { tenantId: 't', connectionId: 'c' } }),
    );

    receive!({ type: 'tenant.updated', data: { tenantId: 'other' }, time: new Date().toISOString() });
    expect(seen.at(-1)).toMatchObject({ type: 'tenant.updated', remote: true });
    expect(transport.broadcast).toHaveBeenCalledTimes(1); // remote events are not relayed again

    const failures: unknown[] = [];
    const failing = createEventBus({
      transport: { ...transport, broadcast: async () => Promise.reject(new Error('redis down')) },
      onHandlerError: (error) => failures.push(error),
    });
    failing.publish('tenant.updated', { tenantId: 't' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(1); // a failed broadcast is reported, never thrown at the publisher

    await bus.close();
    expect(transport.close).toHaveBeenCalled();
    bus.publish('tenant.updated', { tenantId: 't' });
    expect(seen).toHaveLength(2); // closed: no subscribers left
  });
});

describe('Redis event transport', () => {
  /** A PlatformRedis whose channel is an array: what this node publishes, and a hook to receive. */
  function fakeRedis() {
    const published: Array<{ channel: string; message: string }> = [];
    let handler: ((message: string) => void) | undefined;
    const redis = {
      nodeId: 'node-a',
      publish: (channel: string, message: string) => published.push({ channel, message }),
      subscribe: async (_channel: string, receive: (message: string) => void) => {
        handler = receive;
      },
      close: vi.fn(async () => {}),
    } as unknown as PlatformRedis;
    return { redis, published, deliver: (message: string) => handler?.(message) };
  }

  it('sends only configuration-change events to other nodes, and delivers theirs', async () => {
    const { redis, published, deliver } = fakeRedis();
    const bus = createEventBus({ transport: await createRedisEventTransport(redis) });
    const seen: PlatformEvent[] = [];
    bus.subscribe('*', (event) => {
      seen.push(event);
    });
    bus.publish('api.call.success', call); // traffic: handled where it happens
    bus.publish('tenant.updated', { tenantId: 't' });
    bus.publish('api_key.revoked', { tenantId: 't', keyId: 'k' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(published.map(({ message }) => JSON.parse(message).type)).toEqual([
      'tenant.updated',
      'api_key.revoked',
    ]);

    seen.length = 0;
    deliver(
      JSON.stringify({ type: 'connection.deleted', data: { tenantId: 't', connectionId: 'c' }, time: 'x' }),
    );
    deliver('not json');
    expect(seen).toEqual([expect.objectContaining({ type: 'connection.deleted', remote: true })]);
    await bus.close();
    expect(redis.close).toHaveBeenCalled();
  });
});
