/** Helpers for the response cache's tests: policies, a counting fake upstream, polling. */
import type { CacheRequest, UpstreamResponse } from '../src/gateway/cache-http.js';
import type { CachePolicyRecord } from '../src/gateway/cache-rules.js';

export const TENANT_A = '00000000-0000-4000-8000-00000000000a';
export const TENANT_B = '00000000-0000-4000-8000-00000000000b';
export const CONNECTION = '00000000-0000-4000-8000-0000000000c1';
export const OTHER_CONNECTION = '00000000-0000-4000-8000-0000000000c2';

let policySeq = 0;

export function policy(overrides: Partial<CachePolicyRecord> = {}): CachePolicyRecord {
  policySeq += 1;
  return {
    id: `00000000-0000-4000-8000-${String(policySeq).padStart(12, '0')}`,
    connectionId: CONNECTION,
    endpointPattern: null,
    cacheStrategy: 'time_based',
    ttlSeconds: 60,
    cacheConditions: null,
    invalidationEvents: null,
    ...overrides,
  };
}

export function request(
  path: string,
  overrides: Partial<CacheRequest> & { headers?: Record<string, string> } = {},
): CacheRequest {
  return {
    tenantId: TENANT_A,
    connectionId: CONNECTION,
    method: 'GET',
    url: `https://api.example.com/v1${path}`,
    path,
    headers: {},
    ...overrides,
  };
}

export interface FakeUpstream {
  (conditional: Record<string, string>): Promise<UpstreamResponse>;
  calls: Array<Record<string, string>>;
}

export interface FakeAnswer {
  status?: number;
  headers?: Record<string, string | undefined>;
  body?: Buffer | string;
}

/** A fake upstream counting its calls; `answer` gets the conditional headers and the call number (1-based). */
export function fakeUpstream(
  answer: (conditional: Record<string, string>, call: number) => FakeAnswer,
  delayMs = 0,
): FakeUpstream {
  const calls: Array<Record<string, string>> = [];
  const fn = (async (conditional: Record<string, string>) => {
    calls.push(conditional);
    const n = calls.length;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const made = answer(conditional, n);
    const body = made.body === undefined ? Buffer.from(`body ${n}`) : Buffer.from(made.body);
    const headers = Object.fromEntries(
      Object.entries(made.headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    return { status: made.status ?? 200, headers, body };
  }) as FakeUpstream;
  fn.calls = calls;
  return fn;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Repeats `attempt` until it returns true, failing after `timeoutMs`. */
export async function eventually(
  attempt: () => Promise<boolean>,
  timeoutMs = 8_000,
  stepMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await attempt()) return;
    await sleep(stepMs);
  }
  throw new Error(`condition not reached within ${timeoutMs} ms`);
}
