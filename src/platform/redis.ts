/**
 * A node's Redis connections for one purpose: one for commands (scripts, keys, publishes) and one
 * subscriber for broadcast channels. Commands fail fast while Redis is away
 * (no offline queue, short timeout) so the hot path falls back instead of hanging; the subscriber
 * reconnects and resubscribes by itself.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { ConfigError, maskUrl } from '../config.js';

export interface PlatformRedis {
  readonly command: Redis;
  /** Distinguishes this process' own broadcasts from other nodes'. */
  readonly nodeId: string;
  publish(channel: string, message: string): void;
  /** `handler` receives messages published by OTHER nodes only. */
  subscribe(channel: string, handler: (message: string) => void): Promise<void>;
  /** True when Redis answers now (fails fast while it is away: no offline queue, 1 s timeout). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function connectRedis(
  url: string,
  logger?: { warn(obj: object, msg: string): void },
  purpose = 'rate limiter',
): Promise<PlatformRedis> {
  const nodeId = randomUUID();
  const command = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
  });
  const subscriber = new Redis(url, { lazyConnect: true });
  let lastWarning = 0;
  const warn = (error: unknown) => {
    // Redis trouble repeats every reconnect attempt: one line a minute is enough.
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    logger?.warn({ err: error }, `${purpose}: Redis unavailable`);
  };
  // ioredis rejects a failed first connect with a bare "Connection is closed."; the socket error says why.
  let connectError: Error | undefined;
  const remember = (error: Error) => {
    connectError ??= error;
  };
  command.on('error', remember);
  command.on('error', warn);
  subscriber.on('error', warn);
  try {
    await Promise.all([command.connect(), subscriber.connect()]);
  } catch (error) {
    command.disconnect();
    subscriber.disconnect();
    // Refusing to start, with one line naming the variable, rather than running without a shared
    // rate-limit, cache and event store that other nodes rely on. Readiness watches Redis after start.
    const cause = connectError ?? (error as Error);
    throw new ConfigError(
      'REDIS_URL',
      `cannot connect to Redis at ${maskUrl(url)} (${purpose}): ${cause.message}`,
    );
  }
  command.off('error', remember);

  const handlers = new Map<string, Array<(message: string) => void>>();
  subscriber.on('message', (channel: string, raw: string) => {
    const separator = raw.indexOf('|');
    if (separator === -1 || raw.slice(0, separator) === nodeId) return;
    const message = raw.slice(separator + 1);
    for (const handler of handlers.get(channel) ?? []) handler(message);
  });

  return {
    command,
    nodeId,
    publish(channel, message) {
      command.publish(channel, `${nodeId}|${message}`).catch(warn);
    },
    async ping() {
      return (await command.ping()) === 'PONG';
    },
    async subscribe(channel, handler) {
      const list = handlers.get(channel) ?? [];
      list.push(handler);
      handlers.set(channel, list);
      if (list.length === 1) await subscriber.subscribe(channel);
    },
    async close() {
      await Promise.allSettled([command.quit(), subscriber.quit()]);
      command.disconnect();
      subscriber.disconnect();
    },
  };
}
