/**
 * CPU cost per gateway call of the live stream's cross-node relay (monitoring/stream.ts): one
 * `api.call.success` event published on the bus, as the gateway does per call, with
 *   baseline      no relay (a single node)
 *   unwatched     a relay, but no node has a stream open for the tenant (the usual case)
 *   watched       another node streams the tenant: the event is formatted, queued and sent in one
 *                 Redis PUBLISH per 50 ms (a real one when REDIS_URL is set, else a no-op)
 * Events go in bursts of RELAY_MAX_FRAMES (the relay's per-message cap) with a pause for the flush;
 * CPU time is process.cpuUsage() (all threads: includes the collector's), so the pauses do not count.
 * Run: REDIS_URL=redis://127.0.0.1:6379 npx tsx bench/stream-relay.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createStreamHub, RELAY_MAX_FRAMES, type StreamRelay } from '../src/monitoring/stream.js';
import { createEventBus } from '../src/platform/events.js';
import { connectRedis, type PlatformRedis } from '../src/platform/redis.js';

const BURSTS = Number(process.env.BENCH_BURSTS ?? 400);
const redis: PlatformRedis | undefined = process.env.REDIS_URL
  ? await connectRedis(process.env.REDIS_URL, undefined, 'bench')
  : undefined;

async function run(mode: 'baseline' | 'unwatched' | 'watched') {
  const bus = createEventBus();
  let receive: ((message: string) => void) | undefined;
  let messages = 0;
  let bytes = 0;
  const relay: StreamRelay = {
    nodeId: 'bench',
    send(message) {
      messages++;
      bytes += message.length;
      redis?.publish('krx:bench-stream', message);
    },
    subscribe: async (handler) => {
      receive = handler;
    },
  };
  const hub = createStreamHub(bus, mode === 'baseline' ? {} : { relay });
  if (mode === 'watched') receive?.(JSON.stringify({ n: 'other-node', w: ['tenant-1'] }));
  await sleep(60);
  messages = 0;
  bytes = 0;
  const start = process.cpuUsage();
  for (let burst = 0; burst < BURSTS; burst++) {
    for (let i = 0; i < RELAY_MAX_FRAMES; i++)
      bus.publish('api.call.success', {
        tenantId: 'tenant-1',
        connectionId: '5b0c3f9e-3a52-4c55-9a8e-0d1f2c3b4a59',
        executionId: `0d9e8f7a-${burst}-${i}`,
        executionType: 'proxy',
        statusCode: 200,
        durationMs: 12,
        cacheStatus: 'MISS',
        bytes: 200,
      });
    await sleep(55);
  }
  const used = process.cpuUsage(start);
  hub.close();
  const events = BURSTS * RELAY_MAX_FRAMES;
  return {
    mode,
    cpuNsPerEvent: Math.round(((used.user + used.system) * 1000) / events),
    relayMessages: messages,
    relayBytesPerEvent: Math.round(bytes / events),
  };
}

const results = [];
for (const mode of ['baseline', 'unwatched', 'watched', 'baseline', 'unwatched', 'watched'] as const)
  results.push(await run(mode));
await redis?.close();
console.log(JSON.stringify(results));
