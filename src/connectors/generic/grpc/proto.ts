/**
 * The gRPC connector's service descriptions, from .proto text given in the connection config. The files
 * are written to a private temporary folder for proto-loader and removed at once; an import must name
 * another uploaded file or a well-known type (`google/protobuf/*`), since protobufjs would read any
 * absolute path from the local disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSync, type MethodDefinition, type PackageDefinition } from '@grpc/proto-loader';
import { KryonixError } from '../../../platform/errors.js';

export interface ProtoSettings {
  proto?: string;
  protoFiles?: Record<string, string>;
  reflection?: boolean;
}

export interface MethodInfo {
  service: string;
  method: string;
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestType: string;
  responseType: string;
  definition: MethodDefinition<object, object>;
}

/** How JSON meets protobuf: field names as written, 64-bit integers and enums as strings, defaults filled. */
export const PROTO_OPTIONS = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: String,
  defaults: true,
  oneofs: true,
} as const;

/** The standard health service (grpc/grpc-proto health/v1/health.proto), used by the connection test. */
export const HEALTH_PROTO = `syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
`;

const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*\.proto$/;
const IMPORT = /\bimport\s+(?:weak\s+|public\s+)?"([^"\\\n]*)"\s*;/g;

function invalid(message: string): KryonixError {
  return new KryonixError('KRX_VALIDATION_FAILED', message, {
    extensions: { errors: [{ path: '/config/proto', message }] },
  });
}

function checkImports(name: string, text: string, files: Record<string, string>): void {
  const strict = [...text.matchAll(IMPORT)];
  if (strict.length !== (text.match(/\bimport\b/g) ?? []).length)
    throw invalid(`${name}: write each import as import "file.proto"; on its own`);
  for (const [, target] of strict) {
    if (Object.hasOwn(files, target)) continue;
    if (/^google\/protobuf\/[a-z_]+\.proto$/.test(target)) continue;
    throw invalid(`${name} imports ${target}, which is neither an uploaded file nor a google/protobuf type`);
  }
}

export function methodsOf(definition: PackageDefinition): MethodInfo[] {
  const methods: MethodInfo[] = [];
  for (const [service, value] of Object.entries(definition)) {
    if ('format' in value) continue; // a message or enum type
    for (const [method, def] of Object.entries(value as Record<string, MethodDefinition<object, object>>)) {
      const typeName = (t: unknown) => (t as { type?: { name?: string } })?.type?.name ?? '';
      methods.push({
        service,
        method,
        path: def.path,
        requestStream: def.requestStream,
        responseStream: def.responseStream,
        requestType: typeName(def.requestType),
        responseType: typeName(def.responseType),
        definition: def,
      });
    }
  }
  return methods;
}

/** Parses the uploaded files; every service method they declare, by service. */
export function loadProtos(settings: ProtoSettings): MethodInfo[] {
  const files: Record<string, string> = { ...(settings.protoFiles ?? {}) };
  if (settings.proto !== undefined) files['main.proto'] ??= settings.proto;
  const names = Object.keys(files);
  if (names.length === 0) throw invalid('the connection needs config.proto or config.protoFiles');
  for (const name of names) {
    if (!FILE_NAME.test(name) || name.split('/').includes('..'))
      throw invalid(`${name} is not a valid relative .proto file name`);
    checkImports(name, files[name], files);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'krx-proto-'));
  try {
    for (const name of names) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), files[name]);
    }
    let definition: PackageDefinition;
    try {
      definition = loadSync(
        names.map((name) => path.join(dir, name)),
        { ...PROTO_OPTIONS, includeDirs: [dir] },
      );
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).replaceAll(`${dir}/`, '');
      throw invalid(`the .proto files do not parse: ${message.slice(0, 500)}`);
    }
    return methodsOf(definition);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

let health: MethodInfo | undefined;

/** grpc.health.v1.Health/Check. */
export function healthCheckMethod(): MethodInfo {
  health ??= loadProtos({ protoFiles: { 'grpc/health/v1/health.proto': HEALTH_PROTO } })[0];
  return health;
}

/** The method a call names: `service` fully qualified (`pkg.Service`) or, if unique, by its last part. */
export function findMethod(methods: MethodInfo[], service: string, method: string): MethodInfo {
  const services = [...new Set(methods.map((m) => m.service))];
  const matching = services.filter((name) => name === service || name.endsWith(`.${service}`));
  const exact = matching.includes(service) ? [service] : matching;
  if (exact.length !== 1)
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      exact.length === 0
        ? `the protos declare no service "${service}" (services: ${services.join(', ') || '(none)'})`
        : `"${service}" is ambiguous: ${exact.join(', ')}`,
      { extensions: { errors: [{ path: '/input/service', message: 'unknown service' }] } },
    );
  const found = methods.find((m) => m.service === exact[0] && m.method === method);
  if (!found) {
    const names = methods.filter((m) => m.service === exact[0]).map((m) => m.method);
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the service ${exact[0]} has no method "${method}" (methods: ${names.join(', ')})`,
      { extensions: { errors: [{ path: '/input/method', message: 'unknown method' }] } },
    );
  }
  return found;
}
