/**
 * Tells the other nodes that a tenant's cache policies changed, over Redis pub/sub, so each drops
 * its in-memory copy and reloads on the next call. A node ignores its own messages.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

export const POLICY_CHANNEL = 'krx:cache:policies';

export interface PolicyNotifier {
  /** Resolves once this node listens (or failed to: then it only misses remote changes). */
  readonly ready: Promise<void>;
  publish(tenantId: string): void;
  close(): Promise<void>;
}

export function createRedisPolicyNotifier(
  redisUrl: string,
  onRemoteChange: (tenantId: string) => void,
): PolicyNotifier {
  const node = randomUUID();
  const publisher = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const subscriber = new Redis(redisUrl);
  publisher.on('error', () => {});
  subscriber.on('error', () => {});
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== POLICY_CHANNEL) return;
    const [origin, tenantId] = message.split(' ');
    if (origin !== node && tenantId) onRemoteChange(tenantId);
  });
  // ioredis re-subscribes by itself after a reconnect.
  const ready = subscriber.subscribe(POLICY_CHANNEL).then(
    () => {},
    () => {},
  );

  return {
    ready,
    publish(tenantId) {
      publisher.publish(POLICY_CHANNEL, `${node} ${tenantId}`).catch(() => {});
    },
    async close() {
      await Promise.all([
        publisher.quit().catch(() => publisher.disconnect()),
        subscriber.quit().catch(() => subscriber.disconnect()),
      ]);
    },
  };
}
