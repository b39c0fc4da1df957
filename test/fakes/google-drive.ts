/**
 * Google Drive v3 on the local Google fake (same token endpoint and error envelope), as documented:
 * - `GET /drive/v3/files` with `q` (name contains, 'id' in parents, mimeType =, trashed =), `fields`
 *   projection, `pageSize` 1..1000 (else 400), `pageToken`/`nextPageToken` (only when asked for in
 *   `fields`), `{kind:"drive#fileList", incompleteSearch, files}`;
 * - `GET /drive/v3/files/{id}` (`alt=media` for content), `POST /drive/v3/files` (metadata, folders);
 * - `POST /upload/drive/v3/files?uploadType=multipart` (multipart/related: JSON metadata + media);
 * - `uploadType=resumable`: POST → 200 + `Location` session URI; `PUT` chunks with `Content-Range`
 *   (multiples of 256 KiB except the last) → 308 + `Range: bytes=0-N` until complete → 200 file;
 * - `GET /drive/v3/about` requires `fields` (400 otherwise).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type FakeGoogle, googleError } from './google.js';

export interface DriveFile {
  id: string;
  name: string;
  mimeType: string;
  parents: string[];
  size?: string;
  description?: string;
  modifiedTime: string;
  trashed: boolean;
  content?: Buffer;
}

export interface FakeDrive {
  files: Map<string, DriveFile>;
  uploads: Array<{ type: string; chunks: number; ranges: string[] }>;
  /** The next resumable chunk is stored only up to this many bytes (a partial write). */
  persistShortNext(bytes: number): void;
}

const FOLDER = 'application/vnd.google-apps.folder';

function project(file: DriveFile, fields: string | undefined): Record<string, unknown> {
  const all: Record<string, unknown> = {
    kind: 'drive#file',
    id: file.id,
    name: file.name,
    mimeType: file.mimeType,
    parents: file.parents,
    ...(file.size !== undefined ? { size: file.size } : {}),
    ...(file.description ? { description: file.description } : {}),
    modifiedTime: file.modifiedTime,
    trashed: file.trashed,
  };
  if (!fields) return { kind: all.kind, id: all.id, name: all.name, mimeType: all.mimeType };
  if (fields === '*') return all;
  const names = fields.split(',').map((f) => f.trim());
  return Object.fromEntries(names.filter((n) => n in all).map((n) => [n, all[n]]));
}

/** `nextPageToken, files(id, name)` → { top: [nextPageToken, files], files: 'id, name' } */
function parseFields(fields: string | null) {
  if (fields === null) return { top: undefined, files: undefined };
  const inner = /files\(([^)]*)\)/.exec(fields)?.[1];
  const top = fields
    .replace(/files\([^)]*\)/, 'files')
    .split(',')
    .map((f) => f.trim());
  return { top, files: inner };
}

/** The query terms the fake understands, each a pattern and a test of a file against its captures. */
const TERMS: Array<[RegExp, (file: DriveFile, m: RegExpExecArray) => boolean]> = [
  [/^name contains '([^']*)'$/, (file, m) => file.name.includes(m[1])],
  [/^'([^']+)' in parents$/, (file, m) => file.parents.includes(m[1])],
  [/^mimeType\s*(=|!=)\s*'([^']*)'$/, (file, m) => (file.mimeType === m[2]) === (m[1] === '=')],
  [/^trashed\s*=\s*(true|false)$/, (file, m) => file.trashed === (m[1] === 'true')],
];

function matches(file: DriveFile, q: string): boolean | 'invalid' {
  if (q.trim() === '') return true;
  for (const clause of q.split(/\s+and\s+/i)) {
    const term = TERMS.map(([pattern, test]) => [pattern.exec(clause.trim()), test] as const).find(
      ([m]) => m,
    );
    if (!term) return 'invalid';
    if (!term[1](file, term[0]!)) return false;
  }
  return true;
}

export function addFakeDrive(google: FakeGoogle, options: { files?: number } = {}): FakeDrive {
  const files = new Map<string, DriveFile>();
  const sessions = new Map<
    string,
    { metadata: Record<string, unknown>; total: number; received: Buffer[]; size: number; ranges: string[] }
  >();
  const drive: FakeDrive = { files, uploads: [], persistShortNext: (bytes) => (shortNext = bytes) };
  let shortNext: number | undefined;
  const newId = () => `1${randomBytes(16).toString('base64url')}`;
  files.set('folder-reports', {
    id: 'folder-reports',
    name: 'Reports',
    mimeType: FOLDER,
    parents: ['root'],
    modifiedTime: '2024-01-01T00:00:00.000Z',
    trashed: false,
  });
  for (let i = 1; i <= (options.files ?? 0); i++) {
    const id = `file-${String(i).padStart(4, '0')}`;
    const content = Buffer.from(`report ${i}\n`);
    files.set(id, {
      id,
      name: i % 5 === 0 ? `invoice-${i}.pdf` : `report-${i}.csv`,
      mimeType: i % 5 === 0 ? 'application/pdf' : 'text/csv',
      parents: ['folder-reports'],
      size: String(content.length),
      content,
      modifiedTime: new Date(1_700_000_000_000 + i * 60_000).toISOString(),
      trashed: i === 3,
    });
  }
  files.set('doc-1', {
    id: 'doc-1',
    name: 'Plan',
    mimeType: 'application/vnd.google-apps.document',
    parents: ['root'],
    modifiedTime: '2024-01-01T00:00:00.000Z',
    trashed: false,
  });

  const create = (metadata: Record<string, unknown>, content: Buffer | undefined): DriveFile => {
    const file: DriveFile = {
      id: newId(),
      name: String(metadata.name ?? 'Untitled'),
      mimeType: String(metadata.mimeType ?? 'application/octet-stream'),
      parents: (metadata.parents as string[] | undefined) ?? ['root'],
      ...(metadata.description ? { description: String(metadata.description) } : {}),
      ...(content ? { content, size: String(content.length) } : {}),
      modifiedTime: new Date().toISOString(),
      trashed: false,
    };
    files.set(file.id, file);
    return file;
  };

  google.routes.push((req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, url: URL) => {
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
      res.end(value === undefined ? '' : JSON.stringify(value));
      return true;
    };
    const path = url.pathname;
    const q = url.searchParams;

    if (path === '/drive/v3/about' && req.method === 'GET') {
      if (!q.get('fields'))
        return json(400, googleError(400, 'required', "The 'fields' parameter is required for this method."));
      const about: Record<string, unknown> = {
        user: { kind: 'drive#user', displayName: 'Ops', emailAddress: 'ops@kryonix.example', me: true },
        storageQuota: { limit: '16106127360', usage: '1024', usageInDrive: '1024' },
      };
      const wanted = q
        .get('fields')!
        .split(',')
        .map((f) => f.trim());
      return json(200, Object.fromEntries(wanted.filter((f) => f in about).map((f) => [f, about[f]])));
    }

    if (path === '/drive/v3/files' && req.method === 'GET') {
      const pageSize = Number(q.get('pageSize') ?? 100);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000)
        return json(
          400,
          googleError(
            400,
            'invalid',
            `Invalid value '${q.get('pageSize')}'. Values must be within the range: [1, 1000]`,
          ),
        );
      const all = [...files.values()].filter((f) => matches(f, q.get('q') ?? '') === true);
      if ([...files.values()].some((f) => matches(f, q.get('q') ?? '') === 'invalid'))
        return json(400, googleError(400, 'invalid', 'Invalid Value'));
      const start = Number(q.get('pageToken') ?? 0);
      const page = all.slice(start, start + pageSize);
      const fields = parseFields(q.get('fields'));
      const next = start + pageSize < all.length ? String(start + pageSize) : undefined;
      const answer: Record<string, unknown> = {
        kind: 'drive#fileList',
        incompleteSearch: false,
        files: page.map((f) => project(f, fields.files)),
        ...(next ? { nextPageToken: next } : {}),
      };
      if (fields.top)
        for (const key of Object.keys(answer)) if (!fields.top.includes(key)) delete answer[key];
      return json(200, answer);
    }

    const one = /^\/drive\/v3\/files\/([A-Za-z0-9_-]+)$/.exec(path);
    if (one && req.method === 'GET') {
      const file = files.get(one[1]);
      if (!file) return json(404, googleError(404, 'notFound', `File not found: ${one[1]}.`));
      if (q.get('alt') === 'media') {
        if (!file.content)
          return json(
            403,
            googleError(
              403,
              'fileNotDownloadable',
              'Only files with binary content can be downloaded. Use Export with Docs Editors files.',
            ),
          );
        res.writeHead(200, { 'content-type': file.mimeType, 'content-length': String(file.content.length) });
        res.end(file.content);
        return true;
      }
      return json(200, project(file, q.get('fields') ?? undefined));
    }

    if (path === '/drive/v3/files' && req.method === 'POST') {
      const metadata = JSON.parse(body.toString() || '{}');
      return json(200, project(create(metadata, undefined), q.get('fields') ?? undefined));
    }

    if (path === '/upload/drive/v3/files' && req.method === 'POST' && q.get('uploadType') === 'multipart') {
      const boundary = /boundary="?([^";]+)"?/.exec(String(req.headers['content-type']))?.[1];
      if (!String(req.headers['content-type']).startsWith('multipart/related') || !boundary)
        return json(400, googleError(400, 'badContent', 'Bad content type. Please use multipart.'));
      const text = body.toString('latin1');
      const parts = text.split(`--${boundary}`).slice(1, -1);
      if (parts.length !== 2)
        return json(400, googleError(400, 'badContent', 'Multipart body must have 2 parts'));
      const [meta, media] = parts.map((p) => {
        const index = p.indexOf('\r\n\r\n');
        return { head: p.slice(0, index), data: p.slice(index + 4, -2) };
      });
      const file = create(
        JSON.parse(Buffer.from(meta.data, 'latin1').toString('utf8')),
        Buffer.from(media.data, 'latin1'),
      );
      drive.uploads.push({ type: 'multipart', chunks: 1, ranges: [] });
      return json(200, project(file, q.get('fields') ?? undefined));
    }

    if (path === '/upload/drive/v3/files' && req.method === 'POST' && q.get('uploadType') === 'resumable') {
      const id = randomBytes(10).toString('hex');
      const total = Number(req.headers['x-upload-content-length']);
      sessions.set(id, {
        metadata: JSON.parse(body.toString() || '{}'),
        total,
        received: [],
        size: 0,
        ranges: [],
      });
      const location = `${google.url}/upload/drive/v3/files?uploadType=resumable&upload_id=${id}${q.get('fields') ? `&fields=${encodeURIComponent(q.get('fields')!)}` : ''}`;
      return json(200, undefined, { location, 'x-guploader-uploadid': id });
    }

    if (path === '/upload/drive/v3/files' && req.method === 'PUT' && q.get('upload_id')) {
      const session = sessions.get(q.get('upload_id')!);
      if (!session) return json(404, googleError(404, 'notFound', 'Upload session not found'));
      const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(req.headers['content-range']));
      if (!range || Number(range[1]) !== session.size || Number(range[3]) !== session.total)
        return json(400, googleError(400, 'invalid', 'Invalid Content-Range'));
      const last = Number(range[2]) + 1 === session.total;
      if (!last && body.length % (256 * 1024) !== 0)
        return json(400, googleError(400, 'invalid', 'Chunk size must be a multiple of 256 KiB'));
      const kept = shortNext !== undefined && !last ? body.subarray(0, shortNext) : body;
      shortNext = undefined;
      session.received.push(kept);
      session.size += kept.length;
      session.ranges.push(String(req.headers['content-range']));
      if (session.size < session.total) {
        res.writeHead(308, { range: `bytes=0-${session.size - 1}`, 'content-length': '0' });
        res.end();
        return true;
      }
      const file = create(session.metadata, Buffer.concat(session.received));
      drive.uploads.push({ type: 'resumable', chunks: session.ranges.length, ranges: session.ranges });
      sessions.delete(q.get('upload_id')!);
      return json(200, project(file, q.get('fields') ?? undefined));
    }
    return false;
  });
  return drive;
}
