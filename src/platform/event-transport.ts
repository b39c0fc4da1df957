/**
 * Carries configuration-change events between nodes over Redis pub/sub, so a connection updated on
 * node A drops its cached copy (and decrypted credentials) on node B too. Only the types in
 * `SHARED_EVENT_TYPES` travel: traffic events (`api.call.*`, `webhook.received`) are handled where
 * they happen — fanning them out would make every node enqueue the same webhook deliveries. (Live
 * streams show them on every node through their own relay, beside the bus: monitoring/stream.ts.)
 */
import type { EventTransport, PlatformEvent } from './events.js';
import type { PlatformRedis } from './redis.js';

const CHANNEL = 'krx:events';

export const SHARED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'connection.updated',
  'connection.deleted',
  'connection.credentials_refreshed',
  'tenant.updated',
  'api_key.revoked',
  'webhook.config_changed',
]);

export async function createRedisEventTransport(redis: PlatformRedis): Promise<EventTransport> {
  let receive: ((event: PlatformEvent) => void) | undefined;
  await redis.subscribe(CHANNEL, (message) => {
    try {
      receive?.(JSON.parse(message) as PlatformEvent);
    } catch {
      // A malformed message from a foreign publisher is not ours to act on.
    }
  });
  return {
    async broadcast(event) {
      if (SHARED_EVENT_TYPES.has(event.type)) redis.publish(CHANNEL, JSON.stringify(event));
    },
    onRemote(handler) {
      receive = handler;
    },
    close: () => redis.close(),
  };
}
