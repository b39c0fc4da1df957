/** A local webhook receiver for tests and benchmarks: records every request, answers as programmed. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** `hang`: never answer; `reset`: drop the connection instead of answering. */
  fault?: 'hang' | 'reset';
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Answers for a path, used in order; the last one repeats. Default 200. */
  program(path: string, answers: Answer[]): void;
  on(path: string): Received[];
  close(): Promise<void>;
}

export async function startReceiver(options: { record?: boolean } = {}): Promise<Receiver> {
  const received: Received[] = [];
  const programs = new Map<string, Answer[]>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      if (options.record !== false) {
        received.push({
          path,
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          at: Date.now(),
        });
      }
      const answers = programs.get(path);
      const answer = answers && answers.length > 1 ? answers.shift()! : (answers?.[0] ?? { status: 200 });
      if (answer.fault === 'reset') request.socket.resetAndDestroy();
      if (answer.fault) return;
      response.writeHead(answer.status, answer.headers ?? { 'content-type': 'text/plain' });
      response.end(answer.body ?? 'ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    program(path, answers) {
      programs.set(path, [...answers]);
    },
    on(path) {
      return received.filter((entry) => entry.path === path);
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls until `check` returns a truthy value; fails after `timeoutMs` (a generous cap, not a timing claim). */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
