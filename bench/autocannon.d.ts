// autocannon ships no types and @types/autocannon lags its major; the benchmarks use a few fields.
declare module 'autocannon' {
  interface Result {
    requests: Record<string, number>;
    latency: Record<string, number>;
    throughput: Record<string, number>;
    non2xx: number;
    errors: number;
    timeouts: number;
    [key: string]: unknown;
  }
  function autocannon(options: Record<string, unknown>): Promise<Result>;
  export default autocannon;
}
