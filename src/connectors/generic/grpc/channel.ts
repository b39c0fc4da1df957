/**
 * gRPC channels and calls. One `@grpc/grpc-js` client per connection, connected to the address the
 * SSRF guard checked (TLS keeps the configured host name for the certificate and the authority), with
 * the connection's auth as call metadata, the run's deadline, and status codes mapped to platform errors.
 */
import { isIP } from 'node:net';
import grpc from '@grpc/grpc-js';
import { KryonixError } from '../../../platform/errors.js';
import type { ActionContext } from '../../sdk.js';
import { loadProtos, type MethodInfo, type ProtoSettings } from './proto.js';
import { loadByReflection } from './reflection.js';

export interface GrpcSettings extends ProtoSettings {
  address: string;
  tls?: boolean;
  caCert?: string;
  metadata?: Record<string, string>;
  maxMessageBytes?: number;
  healthService?: string;
}

interface Entry {
  key: string;
  client: grpc.Client;
  /** Loaded with the client from uploaded protos, or on first use by reflection. */
  methods?: MethodInfo[];
}

const clients = new Map<string, Entry>();
const CACHE_LIMIT = 500;

/** `host:port`, `[v6]:port`: the host checked by the SSRF guard and the port. */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535)
    throw new KryonixError('KRX_VALIDATION_FAILED', `the address ${address} is not host:port`, {
      extensions: { errors: [{ path: '/config/address', message: 'expected host:port' }] },
    });
  return { host: match[1] ?? match[2], port };
}

/** The connection's client and methods, created once per settings and checked address. */
export async function clientFor(
  context: ActionContext,
): Promise<{ client: grpc.Client; methods: MethodInfo[] }> {
  const entry = await entryFor(context);
  if (entry.methods) return { client: entry.client, methods: entry.methods };
  try {
    entry.methods = await loadByReflection(
      entry.client,
      () => metadataFor(context, undefined),
      () => callOptions(context),
    );
  } catch (error) {
    throw grpcError(error, context.signal);
  }
  return { client: entry.client, methods: entry.methods };
}

async function entryFor(context: ActionContext): Promise<Entry> {
  const settings = context.connection.config as unknown as GrpcSettings;
  const { host, port } = parseAddress(settings.address);
  const address = await context.resolveTarget(host);
  const key = JSON.stringify([address, settings]);
  const id = context.connection.id;
  const existing = clients.get(id);
  if (existing?.key === key) return existing;
  if (existing) existing.client.close();
  const methods = settings.reflection ? undefined : loadProtos(settings);
  const target = address.includes(':') ? `ipv6:[${address}]:${port}` : `ipv4:${address}:${port}`;
  const credentials = settings.tls
    ? grpc.credentials.createSsl(settings.caCert ? Buffer.from(settings.caCert) : null)
    : grpc.credentials.createInsecure();
  const maxBytes = settings.maxMessageBytes ?? 4 * 1024 * 1024;
  const client = new grpc.Client(target, credentials, {
    // A name (not an IP literal: RFC 6066) is what the certificate is checked against.
    ...(isIP(host) === 0 ? { 'grpc.ssl_target_name_override': host } : {}),
    'grpc.default_authority': `${host}:${port}`,
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
  });
  if (clients.size >= CACHE_LIMIT) {
    const [oldest, entry] = clients.entries().next().value as [string, Entry];
    entry.client.close();
    clients.delete(oldest);
  }
  const entry: Entry = { key, client, methods };
  clients.set(id, entry);
  return entry;
}

export async function releaseClient(connectionId: string): Promise<void> {
  clients.get(connectionId)?.client.close();
  clients.delete(connectionId);
}

export async function closeAllClients(): Promise<void> {
  for (const entry of clients.values()) entry.client.close();
  clients.clear();
}

/** Call metadata: configured entries, the call's own, then the connection's auth headers (they win). */
export async function metadataFor(
  context: ActionContext,
  extra: Record<string, string> | undefined,
): Promise<grpc.Metadata> {
  const settings = context.connection.config as unknown as GrpcSettings;
  const metadata = new grpc.Metadata();
  const applied = await context.auth.apply();
  for (const source of [settings.metadata, extra, applied.headers])
    for (const [name, value] of Object.entries(source ?? {})) metadata.set(name.toLowerCase(), value);
  return metadata;
}

const USER_CODES = new Set([
  grpc.status.INVALID_ARGUMENT,
  grpc.status.NOT_FOUND,
  grpc.status.ALREADY_EXISTS,
  grpc.status.FAILED_PRECONDITION,
  grpc.status.OUT_OF_RANGE,
  grpc.status.UNIMPLEMENTED,
]);

/** gRPC status → platform error: UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, RESOURCE_EXHAUSTED are retryable. */
export function grpcError(error: unknown, signal?: AbortSignal): KryonixError {
  if (error instanceof KryonixError) return error;
  const e = error as Partial<grpc.ServiceError>;
  const code = typeof e.code === 'number' ? e.code : grpc.status.UNKNOWN;
  const name = grpc.status[code] ?? 'UNKNOWN';
  const details = e.details ?? (error instanceof Error ? error.message : String(error));
  const extensions = { upstreamError: name, upstreamMessage: details, grpcCode: code };
  const detail = `gRPC ${name}: ${details}`;
  if (code === grpc.status.CANCELLED && signal?.aborted)
    return new KryonixError('KRX_UPSTREAM_TIMEOUT', 'the gRPC call did not finish in time', { extensions });
  if (USER_CODES.has(code)) return new KryonixError('KRX_UPSTREAM_REJECTED', detail, { extensions });
  if (code === grpc.status.UNAUTHENTICATED || code === grpc.status.PERMISSION_DENIED)
    return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', detail, { extensions });
  if (code === grpc.status.DEADLINE_EXCEEDED)
    return new KryonixError('KRX_UPSTREAM_TIMEOUT', detail, {
      extensions: { ...extensions, retryable: true },
    });
  if (code === grpc.status.UNAVAILABLE)
    return new KryonixError('KRX_UPSTREAM_UNREACHABLE', detail, {
      extensions: { ...extensions, retryable: true },
    });
  if (code === grpc.status.RESOURCE_EXHAUSTED)
    return new KryonixError('KRX_RATE_LIMITED', detail, { extensions: { ...extensions, retryable: true } });
  if (code === grpc.status.ABORTED)
    return new KryonixError('KRX_UPSTREAM_ERROR', detail, { extensions: { ...extensions, retryable: true } });
  return new KryonixError('KRX_UPSTREAM_ERROR', detail, { extensions });
}

export interface CallOptions {
  request: object;
  metadata?: Record<string, string>;
  maxMessages?: number;
}

export interface CallResult {
  response?: unknown;
  messages?: unknown[];
  truncated?: boolean;
}

function callOptions(context: ActionContext): grpc.CallOptions {
  return { deadline: new Date(Math.max(Date.now() + 1, context.deadline - 50)) };
}

/** One unary call, or a server-streaming call collected up to `maxMessages`. */
export async function callMethod(
  context: ActionContext,
  client: grpc.Client,
  method: MethodInfo,
  options: CallOptions,
): Promise<CallResult> {
  if (method.requestStream)
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `${method.service}/${method.method} streams its requests: only unary and server-streaming calls are supported`,
    );
  const def = method.definition;
  const metadata = await metadataFor(context, options.metadata);
  const { signal } = context;
  let serialize: (value: object) => Buffer;
  try {
    def.requestSerialize(options.request); // fails here, as the caller's mistake, on a bad field value
    serialize = def.requestSerialize;
  } catch (error) {
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the request does not fit ${method.requestType}: ${error instanceof Error ? error.message : error}`,
    );
  }
  if (!method.responseStream) {
    return new Promise((resolve, reject) => {
      const call = client.makeUnaryRequest(
        def.path,
        serialize,
        def.responseDeserialize,
        options.request,
        metadata,
        callOptions(context),
        (error, response) => {
          signal.removeEventListener('abort', cancel);
          if (error) reject(grpcError(error, signal));
          else resolve({ response });
        },
      );
      const cancel = () => call.cancel();
      signal.addEventListener('abort', cancel, { once: true });
    });
  }
  const limit = options.maxMessages ?? 100;
  return new Promise((resolve, reject) => {
    const messages: unknown[] = [];
    let done = false;
    const stream = client.makeServerStreamRequest(
      def.path,
      serialize,
      def.responseDeserialize,
      options.request,
      metadata,
      callOptions(context),
    );
    const cancel = () => stream.cancel();
    signal.addEventListener('abort', cancel, { once: true });
    const finish = (result: CallResult | KryonixError) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', cancel);
      if (result instanceof KryonixError) reject(result);
      else resolve(result);
    };
    stream.on('data', (message) => {
      if (messages.length < limit) return void messages.push(message);
      finish({ messages, truncated: true }); // one more than the limit: stop the stream here
      stream.cancel();
    });
    stream.on('error', (error) => finish(grpcError(error, signal)));
    stream.on('end', () => finish({ messages, truncated: false }));
  });
}
