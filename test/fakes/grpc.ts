/**
 * A real gRPC server (`@grpc/grpc-js`) for the gRPC connector's tests: demo.v1.Greeter (unary, failing
 * with a chosen status, slow, server-streaming, a bearer-token-protected WhoAmI) and the standard
 * grpc.health.v1.Health service; plaintext or TLS with a self-signed certificate made by openssl; with
 * server reflection (`@grpc/reflection`, v1 and v1alpha) when asked.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

export const GRPC_TYPES_PROTO = `syntax = "proto3";
package demo.v1;
enum Mood { NEUTRAL = 0; HAPPY = 1; GRUMPY = 2; }
message HelloRequest { string name = 1; int64 times = 2; Mood mood = 3; }
`;

export const GRPC_PROTO = `syntax = "proto3";
package demo.v1;
import "google/protobuf/timestamp.proto";
import "demo/v1/types.proto";

message HelloReply { string message = 1; int64 times = 2; Mood mood = 3; google.protobuf.Timestamp at = 4; }
message FailRequest { int32 code = 1; string message = 2; }
message SlowRequest { int32 ms = 1; }
message CountRequest { int32 to = 1; }
message Count { int32 n = 1; }
message Empty {}
message Identity { string authorization = 1; string tenant = 2; }

service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply);
  rpc Fail (FailRequest) returns (HelloReply);
  rpc Slow (SlowRequest) returns (HelloReply);
  rpc CountTo (CountRequest) returns (stream Count);
  rpc WhoAmI (Empty) returns (Identity);
}
`;

const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
`;

export const GRPC_TOKEN = 'good-token';

export interface FakeGrpc {
  port: number;
  /** PEM of the self-signed certificate (TLS servers only). */
  cert?: string;
  /** Metadata of the calls received. */
  calls: { method: string; metadata: Record<string, unknown> }[];
  close(): Promise<void>;
}

function selfSigned(dir: string): { key: string; cert: string } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
  };
}

export async function startFakeGrpc(
  options: { tls?: boolean; reflection?: boolean } = {},
): Promise<FakeGrpc> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-fake-grpc-'));
  fs.mkdirSync(path.join(dir, 'demo/v1'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'demo/v1/types.proto'), GRPC_TYPES_PROTO);
  fs.writeFileSync(path.join(dir, 'demo/v1/greeter.proto'), GRPC_PROTO);
  fs.writeFileSync(path.join(dir, 'health.proto'), HEALTH_PROTO);
  const definition = loadSync([path.join(dir, 'demo/v1/greeter.proto'), path.join(dir, 'health.proto')], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    includeDirs: [dir],
  });
  const loaded = grpc.loadPackageDefinition(definition) as any;
  const calls: FakeGrpc['calls'] = [];
  const record = (method: string, call: { metadata: grpc.Metadata }) =>
    calls.push({ method, metadata: call.metadata.getMap() });

  // The reflection service's own handlers are @grpc/reflection's: its calls are recorded here.
  const server = new grpc.Server({
    interceptors: [
      (descriptor, call) =>
        new grpc.ServerInterceptingCall(call, {
          start: (next) =>
            next({
              onReceiveMetadata: (metadata, nextMetadata) => {
                if (descriptor.path.endsWith('/ServerReflectionInfo'))
                  record('ServerReflectionInfo', { metadata });
                nextMetadata(metadata);
              },
            }),
        }),
    ],
  });
  server.addService(loaded.demo.v1.Greeter.service, {
    SayHello(call: any, callback: grpc.sendUnaryData<unknown>) {
      record('SayHello', call);
      const { name, times, mood } = call.request;
      callback(null, {
        message: `Hello, ${name}!`,
        times: String(BigInt(times) * 2n),
        mood,
        at: { seconds: '1700000000', nanos: 0 },
      });
    },
    Fail(call: any, callback: grpc.sendUnaryData<unknown>) {
      record('Fail', call);
      callback({ code: call.request.code, details: call.request.message });
    },
    Slow(call: any, callback: grpc.sendUnaryData<unknown>) {
      record('Slow', call);
      const timer = setTimeout(() => callback(null, { message: 'finally' }), call.request.ms);
      call.on('cancelled', () => clearTimeout(timer));
    },
    CountTo(call: any) {
      record('CountTo', call);
      let n = 0;
      const next = () => {
        if (call.cancelled) return;
        if (++n > call.request.to) return call.end();
        call.write({ n });
        setImmediate(next);
      };
      next();
    },
    WhoAmI(call: any, callback: grpc.sendUnaryData<unknown>) {
      record('WhoAmI', call);
      const authorization = String(call.metadata.get('authorization')[0] ?? '');
      if (authorization !== `Bearer ${GRPC_TOKEN}`)
        return callback({ code: grpc.status.UNAUTHENTICATED, details: 'invalid bearer token' });
      callback(null, { authorization, tenant: String(call.metadata.get('x-tenant')[0] ?? '') });
    },
  });
  server.addService(loaded.grpc.health.v1.Health.service, {
    Check(call: any, callback: grpc.sendUnaryData<unknown>) {
      record('Check', call);
      const service = call.request.service;
      if (service === '' || service === 'demo.v1.Greeter') callback(null, { status: 'SERVING' });
      else callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${service}` });
    },
  });
  if (options.reflection) new ReflectionService(definition).addToServer(server);

  let cert: string | undefined;
  let credentials = grpc.ServerCredentials.createInsecure();
  if (options.tls) {
    const pair = selfSigned(dir);
    cert = pair.cert;
    credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(pair.key), cert_chain: Buffer.from(pair.cert) },
    ]);
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  fs.rmSync(dir, { recursive: true, force: true });
  return {
    port,
    cert,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}
