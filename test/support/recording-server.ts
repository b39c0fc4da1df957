/**
 * For the unit tests of a provider SDK running over our transport (Google, Salesforce, Teams): a
 * local HTTP server that records every request and answers each with the next queued answer, and an
 * auth session whose token goes from "stale" to "fresh" on refresh.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AuthSession } from '../../src/connectors/auth/types.js';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export type Answer = (res: http.ServerResponse) => void;

export const json =
  (status: number, value: unknown, headers: Record<string, string> = {}): Answer =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify(value));
  };

export interface RecordingServer {
  readonly url: string;
  readonly seen: RecordedRequest[];
  readonly answers: Answer[];
  /** Forget what was seen and what is still queued. */
  reset(): void;
  close(): Promise<void>;
}

export async function startRecordingServer(
  options: {
    /** An answer that takes precedence over the queue (e.g. a 401 for a stale token). */
    before?: (request: RecordedRequest) => Answer | undefined;
    /** Answer after this delay, so that concurrent requests all reach the server. */
    delayMs?: number;
  } = {},
): Promise<RecordingServer> {
  const seen: RecordedRequest[] = [];
  const answers: Answer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(request);
      const answer =
        options.before?.(request) ?? answers.shift() ?? json(500, { error: { message: 'no answer queued' } });
      if (options.delayMs) setTimeout(() => answer(res), options.delayMs);
      else answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    answers,
    reset() {
      seen.length = 0;
      answers.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An auth session whose bearer token is `token` ("stale" until a refresh makes it "fresh"). */
export function rotatingTokenAuth(
  method: string,
  tokenExtras: () => Promise<Record<string, unknown>> = async () => ({}),
): AuthSession & { token: string } {
  const session = {
    token: 'stale',
    method,
    apply: async () => ({ headers: { authorization: `Bearer ${session.token}` }, query: {} }),
    accessToken: async () => session.token,
    refresh: async () => {
      session.token = 'fresh';
      return true;
    },
    tokenExtras,
  };
  return session;
}
