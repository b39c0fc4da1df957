/**
 * A local Slack: the Web API (`POST /api/{method}`, form or JSON, Bearer token) and incoming webhooks
 * (`POST /services/T/B/X`), answering as Slack documents it:
 * - Web API failures are HTTP 200 `{ok:false,error}`; 429 carries `Retry-After` (seconds);
 * - conversations.list pages with `cursor`/`limit` (≤ 1000) and `response_metadata.next_cursor`
 *   (empty string on the last page);
 * - webhooks answer plain text: 200 `ok`, 400 `invalid_payload`/`no_text`, 403 `action_prohibited`,
 *   404 `channel_not_found`/`no_service`, 410 `channel_is_archived`, 500 `rollup_error`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlackChannel {
  id: string;
  name: string;
  is_private?: boolean;
  is_archived?: boolean;
  /** The bot is a member (may post). */
  member?: boolean;
}

export interface FakeSlackHook {
  /** Channel id the hook posts to. */
  channel: string;
  prohibited?: boolean;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  botToken: string;
  /** Webhook path → its settings; add hooks in tests. */
  hooks: Map<string, FakeSlackHook>;
  webhookUrl(path: string): string;
  channels: FakeSlackChannel[];
  /** Messages posted, by channel id (Web API and webhooks alike). */
  posted: Array<{ channel: string; text?: string; blocks?: unknown; via: 'api' | 'webhook' }>;
  /** Calls by Web API method (or `webhook`). */
  calls: Record<string, number>;
  /** Request bodies as received, by method: form or JSON, decoded. */
  lastArgs: Record<string, Record<string, unknown>>;
  /** The next `count` calls of `method` answer 429 with Retry-After `seconds`. */
  rateLimit(method: string, seconds: number, count?: number): void;
  /** The next webhook post answers 500 rollup_error. */
  failNextWebhook(): void;
  close(): Promise<void>;
}

const TEAM = { team: 'Kryonix Test', team_id: 'T0KRYONIX', url: 'https://kryonix-test.slack.com/' };

export async function startFakeSlack(
  options: { botToken?: string; channels?: FakeSlackChannel[] } = {},
): Promise<FakeSlack> {
  const botToken = options.botToken ?? 'xoxb-test-token';
  const channels: FakeSlackChannel[] =
    options.channels ??
    Array.from({ length: 7 }, (_, i) => ({
      id: `C00${i + 1}`,
      name: i === 0 ? 'general' : `channel-${i + 1}`,
      is_archived: i === 5,
      is_private: i === 6,
      member: i !== 3,
    }));
  const limits = new Map<string, { seconds: number; count: number }>();
  let failWebhook = false;
  let seq = 1_700_000_000;

  const fake: FakeSlack = {
    url: '',
    apiUrl: '',
    botToken,
    hooks: new Map(),
    webhookUrl: (path) => `${fake.url}${path}`,
    channels,
    posted: [],
    calls: {},
    lastArgs: {},
    rateLimit(method, seconds, count = 1) {
      limits.set(method, { seconds, count });
    },
    failNextWebhook() {
      failWebhook = true;
    },
    close: async () => {},
  };

  const findChannel = (ref: unknown) => {
    const text = String(ref ?? '').replace(/^#/, '');
    return channels.find((c) => c.id === text || c.name === text);
  };

  function decodeArgs(req: http.IncomingMessage, raw: string, url: URL): Record<string, unknown> | 'bad' {
    const type = String(req.headers['content-type'] ?? '');
    const args: Record<string, unknown> = Object.fromEntries(url.searchParams);
    if (raw === '') return args;
    if (type.startsWith('application/json')) {
      try {
        return { ...args, ...(JSON.parse(raw) as Record<string, unknown>) };
      } catch {
        return 'bad';
      }
    }
    const form = Object.fromEntries(new URLSearchParams(raw));
    // Structured arguments arrive JSON-encoded in a form body.
    for (const key of ['blocks', 'attachments'])
      if (typeof form[key] === 'string') {
        try {
          (form as Record<string, unknown>)[key] = JSON.parse(form[key]);
        } catch {
          return 'bad';
        }
      }
    return { ...args, ...form };
  }

  const webApi: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ ...TEAM, user: 'kryonix-bot', user_id: 'U0BOT', bot_id: 'B0BOT' }),
    'chat.postMessage': (args) => {
      const channel = findChannel(args.channel);
      if (!args.channel || !channel) return { ok: false, error: 'channel_not_found' };
      if (channel.is_archived) return { ok: false, error: 'is_archived' };
      if (!channel.member) return { ok: false, error: 'not_in_channel' };
      const text = typeof args.text === 'string' ? args.text : undefined;
      if (!text && !args.blocks) return { ok: false, error: 'no_text' };
      if (args.blocks !== undefined && !Array.isArray(args.blocks))
        return { ok: false, error: 'invalid_blocks' };
      if (text && text.length > 40_000) return { ok: false, error: 'msg_too_long' };
      const ts = `${seq++}.000100`;
      fake.posted.push({ channel: channel.id, text, blocks: args.blocks, via: 'api' });
      return {
        channel: channel.id,
        ts,
        message: {
          type: 'message',
          user: 'U0BOT',
          bot_id: 'B0BOT',
          text: text ?? '',
          ts,
          ...(args.blocks ? { blocks: args.blocks } : {}),
        },
      };
    },
    'conversations.list': (args) => {
      const types = String(args.types ?? 'public_channel').split(',');
      const limit = args.limit === undefined ? 100 : Number(args.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { ok: false, error: 'invalid_limit' };
      let start = 0;
      if (args.cursor) {
        const decoded = /^id:(\d+)$/.exec(Buffer.from(String(args.cursor), 'base64').toString());
        if (!decoded) return { ok: false, error: 'invalid_cursor' };
        start = Number(decoded[1]);
      }
      const visible = channels.filter(
        (c) =>
          types.includes(c.is_private ? 'private_channel' : 'public_channel') &&
          !(String(args.exclude_archived) === 'true' && c.is_archived),
      );
      const page = visible.slice(start, start + limit);
      const next =
        start + limit < visible.length ? Buffer.from(`id:${start + limit}`).toString('base64') : '';
      return {
        channels: page.map((c) => ({
          id: c.id,
          name: c.name,
          is_channel: true,
          is_private: Boolean(c.is_private),
          is_archived: Boolean(c.is_archived),
          is_member: Boolean(c.member),
        })),
        response_metadata: { next_cursor: next },
      };
    },
  };

  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => {
      raw += chunk;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      const text = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      };

      if (url.pathname.startsWith('/services/')) {
        fake.calls.webhook = (fake.calls.webhook ?? 0) + 1;
        const hook = fake.hooks.get(url.pathname);
        if (req.method !== 'POST') return text(405, 'invalid_method');
        if (!hook) return text(404, 'no_service');
        const limited = limits.get('webhook');
        if (limited && limited.count > 0) {
          limited.count--;
          res.writeHead(429, { 'retry-after': String(limited.seconds), 'content-type': 'text/plain' });
          return res.end('rate_limited');
        }
        if (failWebhook) {
          failWebhook = false;
          return text(500, 'rollup_error');
        }
        if (hook.prohibited) return text(403, 'action_prohibited');
        const channel = findChannel(hook.channel);
        if (!channel) return text(404, 'channel_not_found');
        if (channel.is_archived) return text(410, 'channel_is_archived');
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return text(400, 'invalid_payload');
        }
        if (typeof payload !== 'object' || payload === null) return text(400, 'invalid_payload');
        if (!payload.text && !payload.blocks && !payload.attachments) return text(400, 'no_text');
        fake.posted.push({
          channel: channel.id,
          text: payload.text as string | undefined,
          blocks: payload.blocks,
          via: 'webhook',
        });
        return text(200, 'ok');
      }

      const match = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
      const handler = match ? webApi[match[1]] : undefined;
      if (!match || !handler) return json(404, { ok: false, error: 'unknown_method' });
      const method = match[1];
      fake.calls[method] = (fake.calls[method] ?? 0) + 1;
      const limited = limits.get(method);
      if (limited && limited.count > 0) {
        limited.count--;
        return json(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(limited.seconds) });
      }
      const args = decodeArgs(req, raw, url);
      if (args === 'bad') return json(200, { ok: false, error: 'invalid_json' });
      fake.lastArgs[method] = args;
      const bearer = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
      const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
      if (!token) return json(200, { ok: false, error: 'not_authed' });
      if (token !== botToken) return json(200, { ok: false, error: 'invalid_auth' });
      const answer = handler(args);
      json(200, { ok: true, ...answer });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.apiUrl = `${fake.url}/api`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
