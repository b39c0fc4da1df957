/**
 * A local Slack: the Web API (`POST /api/{method}`, form or JSON, Bearer token) and incoming webhooks
 * (`POST /services/T/B/X`), answering as Slack documents it:
 * - Web API failures are HTTP 200 `{ok:false,error}`; 429 carries `Retry-After` (seconds);
 * - conversations.list pages with `cursor`/`limit` (≤ 1000) and `response_metadata.next_cursor`
 *   (empty string on the last page);
 * - file uploads the current way: files.getUploadURLExternal (`filename`, `length`) answers an
 *   `upload_url` and a `file_id`; the bytes are POSTed there (raw or multipart, pre-signed: no token
 *   needed; answers `OK - <length>`); files.completeUploadExternal (`files` JSON, `channel_id`,
 *   `initial_comment`, `thread_ts`) completes them, once;
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

export interface FakeSlackFile {
  id: string;
  filename: string;
  /** Declared in getUploadURLExternal. */
  length: number;
  /** Bytes POSTed to the upload URL. */
  bytes?: Buffer;
  /** The Authorization header the upload POST carried, if any (it needs none). */
  uploadAuthorization?: string;
  completed?: { title: string; channel?: string; initialComment?: string; threadTs?: string };
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  /** Origin of the upload URLs (Slack's files.slack.com). */
  filesUrl: string;
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
  /** Files by id, from getUploadURLExternal to completeUploadExternal. */
  files: Map<string, FakeSlackFile>;
  /** The next webhook post answers 500 rollup_error. */
  failNextWebhook(): void;
  /** The next Web API call answers 200 with an HTML page, as a captive proxy in front of Slack would. */
  answerHtmlOnce(): void;
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
  let htmlOnce = false;
  let seq = 1_700_000_000;
  let fileSeq = 1;

  const fake: FakeSlack = {
    url: '',
    apiUrl: '',
    filesUrl: '',
    botToken,
    hooks: new Map(),
    webhookUrl: (path) => `${fake.url}${path}`,
    channels,
    posted: [],
    calls: {},
    lastArgs: {},
    files: new Map(),
    rateLimit(method, seconds, count = 1) {
      limits.set(method, { seconds, count });
    },
    answerHtmlOnce() {
      htmlOnce = true;
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
    'files.getUploadURLExternal': (args) => {
      if (typeof args.filename !== 'string' || args.filename === '')
        return { ok: false, error: 'invalid_arguments' };
      const length = Number(args.length);
      if (!Number.isInteger(length) || length < 1) return { ok: false, error: 'missing_argument' };
      const id = `F0${String(fileSeq++).padStart(8, '0')}`;
      fake.files.set(id, { id, filename: args.filename, length });
      return {
        upload_url: `${fake.filesUrl}/upload/v1/${Buffer.from(id).toString('base64url')}`,
        file_id: id,
      };
    },
    'files.completeUploadExternal': (args) => {
      let files: { id?: unknown; title?: unknown }[];
      try {
        files = typeof args.files === 'string' ? JSON.parse(args.files) : args.files;
      } catch {
        return { ok: false, error: 'invalid_arguments' };
      }
      if (!Array.isArray(files) || files.length === 0) return { ok: false, error: 'invalid_arguments' };
      const found = files.map((f) => fake.files.get(String(f.id)));
      if (found.some((f) => !f?.bytes || f.completed)) return { ok: false, error: 'file_not_found' };
      let channel: FakeSlackChannel | undefined;
      if (args.channel_id !== undefined) {
        channel = channels.find((c) => c.id === args.channel_id);
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (channel.is_archived) return { ok: false, error: 'is_archived' };
        if (!channel.member) return { ok: false, error: 'not_in_channel' };
      }
      return {
        files: found.map((file, i) => {
          const title = typeof files[i].title === 'string' ? (files[i].title as string) : file!.filename;
          file!.completed = {
            title,
            channel: channel?.id,
            initialComment: args.initial_comment as string | undefined,
            threadTs: args.thread_ts as string | undefined,
          };
          return { id: file!.id, title };
        }),
      };
    },
  };

  /** The upload URL: raw bytes, or multipart whose first file part is the content. */
  async function receiveUpload(req: http.IncomingMessage, raw: Buffer, fileId: string) {
    const file = fake.files.get(fileId);
    if (!file || file.bytes) return { status: 404, body: 'upload_not_found' };
    const type = String(req.headers['content-type'] ?? 'application/octet-stream');
    let bytes = raw;
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
      const part = [...form.values()].find((value): value is File => typeof value !== 'string');
      if (!part) return { status: 400, body: 'no_file_data' };
      bytes = Buffer.from(await part.arrayBuffer());
    }
    file.bytes = bytes;
    file.uploadAuthorization = req.headers.authorization;
    return { status: 200, body: `OK - ${bytes.length}` };
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
    });
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(body));
      };
      const text = (status: number, body: string) => {
        res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(body);
      };

      const upload = /^\/upload\/v1\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
      if (upload) {
        fake.calls.upload = (fake.calls.upload ?? 0) + 1;
        if (req.method !== 'POST') return text(405, 'invalid_method');
        void receiveUpload(req, bytes, Buffer.from(upload[1], 'base64url').toString()).then(
          (answer) => text(answer.status, answer.body),
          () => text(400, 'invalid_form_data'),
        );
        return;
      }

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
      if (htmlOnce) {
        htmlOnce = false;
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>Please sign in to the proxy</body></html>');
      }
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
  };
  // Slack's upload URLs live on another host (files.slack.com): a second server stands for it.
  const servers = [http.createServer(handle), http.createServer(handle)];
  const urls = await Promise.all(
    servers.map(
      (server) =>
        new Promise<string>((resolve) =>
          server.listen(0, '127.0.0.1', () =>
            resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
          ),
        ),
    ),
  );
  [fake.url, fake.filesUrl] = urls;
  fake.apiUrl = `${fake.url}/api`;
  fake.close = async () => {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  };
  return fake;
}
