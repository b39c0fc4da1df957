/**
 * A local S3-compatible server (path-style, as `forcePathStyle: true` addresses it) for the file
 * connector's tests, answering the REST API the AWS SDK speaks: ListObjectsV2 (prefix, delimiter,
 * continuation tokens, at most `maxKeys` keys a page like S3's 1,000), GetObject (streamed, Range),
 * HeadObject, PutObject, CopyObject, DeleteObject, multipart uploads (create, upload part, complete,
 * abort) and HeadBucket. Requests are checked like S3 checks them: the SigV4 Authorization header's
 * access key (InvalidAccessKeyId) and signature (SignatureDoesNotMatch); a read-only key gets
 * AccessDenied on writes; `slowDown(n)` answers the next n requests 503 SlowDown. Errors are S3's XML
 * `<Error>` documents. Objects live in files in a temporary folder, never in memory.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

export interface FakeS3 {
  /** http://127.0.0.1:port, the connector's `endpoint`. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A key pair allowed to read and list only. */
  readOnlyAccessKeyId: string;
  readOnlySecretAccessKey: string;
  /** Most keys one ListObjectsV2 page holds (S3: 1,000), lowered by tests to see pagination. */
  maxKeys: number;
  /** The next `count` requests are answered 503 SlowDown. */
  slowDown(count: number): void;
  /** Requests served, by operation name (e.g. `ListObjectsV2`, `UploadPart`). */
  operations: Map<string, number>;
  /** The stored bytes of a key, for assertions. */
  read(key: string): Buffer | undefined;
  close(): Promise<void>;
}

interface StoredObject {
  file: string;
  size: number;
  etag: string;
  lastModified: Date;
  contentType: string;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const escapeXml = (text: string) =>
  text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );

/** RFC 3986 encoding as SigV4 canonicalises query components. */
const encodeRfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

const noSuchKey = (key: string) =>
  new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });

export async function startFakeS3(): Promise<FakeS3> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-fake-s3-'));
  const region = 'us-east-1';
  const bucket = 'krx-bucket';
  const keys = {
    AKIAFAKEWRITER000001: 'fake-secret-writer-0000000000000000000000',
    AKIAFAKEREADER000002: 'fake-secret-reader-0000000000000000000000',
  } as Record<string, string>;
  const objects = new Map<string, StoredObject>();
  const uploads = new Map<string, { key: string; contentType: string; parts: Map<number, StoredObject> }>();
  const operations = new Map<string, number>();
  let slowDowns = 0;
  let fileCounter = 0;
  const newFile = () => path.join(dir, `blob-${fileCounter++}`);

  /** Streams the request body to a new file, hashing it (MD5, S3's ETag of a single-part object). */
  async function receive(req: http.IncomingMessage, contentType: string): Promise<StoredObject> {
    if (/aws-chunked/.test(String(req.headers['content-encoding'] ?? '')))
      throw new S3Error(501, 'NotImplemented', 'aws-chunked bodies are not implemented by this fake');
    const file = newFile();
    const md5 = createHash('md5');
    let size = 0;
    await pipeline(
      req,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          md5.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      fs.createWriteStream(file),
    );
    return { file, size, etag: `"${md5.digest('hex')}"`, lastModified: new Date(), contentType };
  }

  function replace(key: string, object: StoredObject): void {
    const previous = objects.get(key);
    objects.set(key, object);
    if (previous && previous.file !== object.file) fs.rmSync(previous.file, { force: true });
  }

  /** SigV4 as S3 checks it: the access key must exist, the signature must match. */
  function authorise(req: http.IncomingMessage, url: URL): string {
    const header = String(req.headers.authorization ?? '');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!match) throw new S3Error(403, 'AccessDenied', 'Access Denied');
    const [, accessKeyId, date, signedRegion, signedHeaders, signature] = match;
    const secret = keys[accessKeyId];
    if (!secret)
      throw new S3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        {
          AWSAccessKeyId: accessKeyId,
        },
      );
    const query = [...url.searchParams]
      .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)])
      .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const names = signedHeaders.split(';');
    const canonicalHeaders = names
      .map(
        (name) =>
          `${name}:${String(req.headers[name] ?? '')
            .trim()
            .replace(/\s+/g, ' ')}\n`,
      )
      .join('');
    const canonicalRequest = [
      req.method,
      url.pathname,
      query,
      canonicalHeaders,
      signedHeaders,
      String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'),
    ].join('\n');
    const scope = `${date}/${signedRegion}/s3/aws4_request`;
    const stringToSign = [
      'AWS4-HMAC-SHA256',
      String(req.headers['x-amz-date'] ?? ''),
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), signedRegion), 's3'), 'aws4_request');
    if (hmac(key, stringToSign).toString('hex') !== signature)
      throw new S3Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        { AWSAccessKeyId: accessKeyId },
      );
    return accessKeyId;
  }

  function listObjects(url: URL, res: http.ServerResponse): void {
    const query = url.searchParams;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), fake.maxKeys);
    const token = query.get('continuation-token');
    const after = token ? Buffer.from(token, 'base64url').toString() : (query.get('start-after') ?? '');
    const urlEncoded = query.get('encoding-type') === 'url';
    const show = (text: string) =>
      escapeXml(urlEncoded ? encodeURIComponent(text).replaceAll('%2F', '/') : text);
    // Keys and common prefixes in one sorted sequence, as S3 pages through them.
    const items: Array<{ key: string; object?: StoredObject }> = [];
    const seenPrefixes = new Set<string>();
    for (const key of [...objects.keys()].sort()) {
      if (!key.startsWith(prefix) || key <= after) continue;
      const rest = key.slice(prefix.length);
      const cut = delimiter ? rest.indexOf(delimiter) : -1;
      if (cut >= 0) {
        const common = prefix + rest.slice(0, cut + delimiter.length);
        if (common <= after || seenPrefixes.has(common)) continue;
        seenPrefixes.add(common);
        items.push({ key: common });
      } else items.push({ key, object: objects.get(key) });
    }
    const page = items.slice(0, maxKeys);
    const truncated = items.length > maxKeys;
    const last = page.at(-1)?.key ?? '';
    // A common prefix page ends after every key under it, so the next page starts past them all.
    const resumeAfter = last.endsWith(delimiter) && delimiter ? `${last}\uffff` : last;
    const body = [
      `<?xml version="1.0" encoding="UTF-8"?>`,
      `<ListBucketResult xmlns="${XMLNS}">`,
      `<Name>${bucket}</Name><Prefix>${show(prefix)}</Prefix>`,
      delimiter ? `<Delimiter>${show(delimiter)}</Delimiter>` : '',
      `<MaxKeys>${maxKeys}</MaxKeys><KeyCount>${page.length}</KeyCount>`,
      `<IsTruncated>${truncated}</IsTruncated>`,
      token ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '',
      truncated
        ? `<NextContinuationToken>${Buffer.from(resumeAfter).toString('base64url')}</NextContinuationToken>`
        : '',
      urlEncoded ? '<EncodingType>url</EncodingType>' : '',
      ...page.map(({ key, object }) =>
        object
          ? `<Contents><Key>${show(key)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${escapeXml(object.etag)}</ETag><Size>${object.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`
          : `<CommonPrefixes><Prefix>${show(key)}</Prefix></CommonPrefixes>`,
      ),
      '</ListBucketResult>',
    ].join('');
    xml(res, 200, body);
  }

  function xml(res: http.ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function objectHeaders(object: StoredObject): Record<string, string> {
    return {
      etag: object.etag,
      'last-modified': object.lastModified.toUTCString(),
      'content-type': object.contentType,
      'accept-ranges': 'bytes',
    };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const query = url.searchParams;
    const method = req.method ?? 'GET';
    const operation =
      method === 'GET' && !key
        ? 'ListObjectsV2'
        : method === 'HEAD' && !key
          ? 'HeadBucket'
          : method === 'GET'
            ? 'GetObject'
            : method === 'HEAD'
              ? 'HeadObject'
              : method === 'PUT' && query.has('partNumber')
                ? 'UploadPart'
                : method === 'PUT' && req.headers['x-amz-copy-source']
                  ? 'CopyObject'
                  : method === 'PUT'
                    ? 'PutObject'
                    : method === 'POST' && query.has('uploads')
                      ? 'CreateMultipartUpload'
                      : method === 'POST' && query.has('uploadId')
                        ? 'CompleteMultipartUpload'
                        : method === 'DELETE' && query.has('uploadId')
                          ? 'AbortMultipartUpload'
                          : method === 'DELETE'
                            ? 'DeleteObject'
                            : 'Unknown';
    operations.set(operation, (operations.get(operation) ?? 0) + 1);
    if (slowDowns > 0) {
      slowDowns--;
      throw new S3Error(503, 'SlowDown', 'Please reduce your request rate.');
    }
    const accessKeyId = authorise(req, url);
    if (bucketName !== bucket)
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
        BucketName: bucketName,
      });
    const writes = !['GET', 'HEAD'].includes(method);
    if (writes && accessKeyId === 'AKIAFAKEREADER000002')
      throw new S3Error(403, 'AccessDenied', 'Access Denied');
    const contentType = String(req.headers['content-type'] ?? 'binary/octet-stream');

    switch (operation) {
      case 'ListObjectsV2':
        if (query.get('list-type') !== '2')
          throw new S3Error(400, 'InvalidArgument', 'Only ListObjectsV2 is served');
        return listObjects(url, res);
      case 'HeadBucket':
        res.writeHead(200, { 'x-amz-bucket-region': region });
        return res.end();
      case 'HeadObject':
      case 'GetObject': {
        const object = objects.get(key);
        if (!object) throw noSuchKey(key);
        const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
        let start = 0;
        let end = object.size - 1;
        if (range && operation === 'GetObject') {
          if (range[1] === '') start = Math.max(0, object.size - Number(range[2]));
          else {
            start = Number(range[1]);
            if (range[2] !== '') end = Math.min(end, Number(range[2]));
          }
          if (start >= object.size)
            throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', {
              RangeRequested: String(req.headers.range),
              ActualObjectSize: String(object.size),
            });
        }
        const partial = range !== null && operation === 'GetObject';
        res.writeHead(partial ? 206 : 200, {
          ...objectHeaders(object),
          'content-length': String(Math.max(0, end - start + 1)),
          ...(partial ? { 'content-range': `bytes ${start}-${end}/${object.size}` } : {}),
        });
        if (operation === 'HeadObject' || object.size === 0) return res.end();
        return pipeline(fs.createReadStream(object.file, { start, end }), res);
      }
      case 'PutObject': {
        const object = await receive(req, contentType);
        replace(key, object);
        res.writeHead(200, { etag: object.etag });
        return res.end();
      }
      case 'CopyObject': {
        const source = decodeURIComponent(String(req.headers['x-amz-copy-source']).replace(/^\//, ''));
        const [sourceBucket, ...sourceKey] = source.split('/');
        if (sourceBucket !== bucket)
          throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
            BucketName: sourceBucket,
          });
        const from = objects.get(sourceKey.join('/'));
        if (!from) throw noSuchKey(sourceKey.join('/'));
        req.resume();
        const file = newFile();
        fs.copyFileSync(from.file, file);
        const copy = { ...from, file, lastModified: new Date() };
        replace(key, copy);
        return xml(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?><CopyObjectResult xmlns="${XMLNS}"><LastModified>${copy.lastModified.toISOString()}</LastModified><ETag>${escapeXml(copy.etag)}</ETag></CopyObjectResult>`,
        );
      }
      case 'DeleteObject': {
        const object = objects.get(key);
        objects.delete(key);
        if (object) fs.rmSync(object.file, { force: true });
        res.writeHead(204);
        return res.end();
      }
      case 'CreateMultipartUpload': {
        const uploadId = randomUUID();
        uploads.set(uploadId, { key, contentType, parts: new Map() });
        return xml(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult xmlns="${XMLNS}"><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      case 'UploadPart': {
        const upload = uploads.get(query.get('uploadId') ?? '');
        if (!upload || upload.key !== key) throw noSuchUpload();
        const part = await receive(req, upload.contentType);
        const number = Number(query.get('partNumber'));
        const previous = upload.parts.get(number);
        if (previous) fs.rmSync(previous.file, { force: true });
        upload.parts.set(number, part);
        res.writeHead(200, { etag: part.etag });
        return res.end();
      }
      case 'CompleteMultipartUpload': {
        const uploadId = query.get('uploadId') ?? '';
        const upload = uploads.get(uploadId);
        if (!upload || upload.key !== key) throw noSuchUpload();
        let text = '';
        for await (const chunk of req) text += chunk;
        const listed = [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, part]) => ({
          number: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part)?.[1]),
          etag: /<ETag>(.*?)<\/ETag>/.exec(part)?.[1]?.replaceAll('&quot;', '"'),
        }));
        if (listed.length === 0)
          throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed');
        const md5 = createHash('md5');
        const file = newFile();
        let size = 0;
        for (const [index, { number, etag }] of listed.entries()) {
          const part = upload.parts.get(number);
          if (!part || part.etag !== etag)
            throw new S3Error(400, 'InvalidPart', 'One or more of the specified parts could not be found.');
          if (index > 0 && number <= listed[index - 1].number)
            throw new S3Error(400, 'InvalidPartOrder', 'The list of parts was not in ascending order.');
          if (index < listed.length - 1 && part.size < 5 * 1024 * 1024)
            throw new S3Error(
              400,
              'EntityTooSmall',
              'Your proposed upload is smaller than the minimum allowed object size.',
            );
          md5.update(Buffer.from(part.etag.replaceAll('"', ''), 'hex'));
          await pipeline(fs.createReadStream(part.file), fs.createWriteStream(file, { flags: 'a' }));
          size += part.size;
        }
        const etag = `"${md5.digest('hex')}-${listed.length}"`;
        replace(key, { file, size, etag, lastModified: new Date(), contentType: upload.contentType });
        for (const part of upload.parts.values()) fs.rmSync(part.file, { force: true });
        uploads.delete(uploadId);
        return xml(
          res,
          200,
          `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult xmlns="${XMLNS}"><Location>http://s3.local/${bucket}/${escapeXml(key)}</Location><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key><ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`,
        );
      }
      case 'AbortMultipartUpload': {
        const uploadId = query.get('uploadId') ?? '';
        const upload = uploads.get(uploadId);
        if (!upload) throw noSuchUpload();
        for (const part of upload.parts.values()) fs.rmSync(part.file, { force: true });
        uploads.delete(uploadId);
        res.writeHead(204);
        return res.end();
      }
      default:
        throw new S3Error(
          501,
          'NotImplemented',
          'A header you provided implies functionality that is not implemented',
        );
    }
  }

  const server = http.createServer((req, res) => {
    const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', Buffer.from(requestId).toString('base64'));
    handle(req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      const e =
        error instanceof S3Error
          ? error
          : new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
      req.resume();
      // HEAD answers carry no body: the SDK reads the status alone.
      if (req.method === 'HEAD') {
        res.writeHead(e.status);
        return res.end();
      }
      const extra = Object.entries(e.extra)
        .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
        .join('');
      xml(
        res,
        e.status,
        `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${escapeXml(e.message)}</Message>${extra}<RequestId>${requestId}</RequestId><HostId>${Buffer.from(requestId).toString('base64')}</HostId></Error>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const fake: FakeS3 = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region,
    bucket,
    accessKeyId: 'AKIAFAKEWRITER000001',
    secretAccessKey: keys.AKIAFAKEWRITER000001,
    readOnlyAccessKeyId: 'AKIAFAKEREADER000002',
    readOnlySecretAccessKey: keys.AKIAFAKEREADER000002,
    maxKeys: 1000,
    slowDown(count) {
      slowDowns = count;
    },
    operations,
    read(key) {
      const object = objects.get(key);
      return object ? fs.readFileSync(object.file) : undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
  return fake;
}

const noSuchUpload = () =>
  new S3Error(
    404,
    'NoSuchUpload',
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
  );
