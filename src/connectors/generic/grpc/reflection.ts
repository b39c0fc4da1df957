/**
 * Service descriptions from the server itself: gRPC server reflection (grpc.reflection.v1, or v1alpha
 * on older servers). `list_services`, then the files declaring each service, then any dependency the
 * server left out, all on one stream; the serialized FileDescriptorProtos become a FileDescriptorSet for
 * proto-loader, so the methods behave exactly like uploaded ones.
 */
import type grpc from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { KryonixError } from '../../../platform/errors.js';
import { loadProtos, type MethodInfo, methodsOf, PROTO_OPTIONS } from './proto.js';

/** The subset of grpc/reflection/v1/reflection.proto used here (v1alpha has the same messages). */
const reflectionProto = (pkg: string) => `syntax = "proto3";
package ${pkg};
message ServerReflectionRequest {
  string host = 1;
  oneof message_request { string file_by_filename = 3; string file_containing_symbol = 4; string list_services = 7; }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ServiceResponse { string name = 1; }
message ListServiceResponse { repeated ServiceResponse service = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message ServerReflectionResponse {
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ListServiceResponse list_services_response = 6;
    ErrorResponse error_response = 7;
  }
}
service ServerReflection {
  rpc ServerReflectionInfo(stream ServerReflectionRequest) returns (stream ServerReflectionResponse);
}
`;

const VERSIONS = ['grpc.reflection.v1', 'grpc.reflection.v1alpha'];
const UNIMPLEMENTED = 12;
const reflectionMethods = new Map<string, MethodInfo>();

function reflectionMethod(pkg: string): MethodInfo {
  let method = reflectionMethods.get(pkg);
  if (!method) {
    const file = `${pkg.replaceAll('.', '/')}/reflection.proto`;
    method = loadProtos({ protoFiles: { [file]: reflectionProto(pkg) } })[0];
    reflectionMethods.set(pkg, method);
  }
  return method;
}

interface ReflectionResponse {
  message_response?: 'file_descriptor_response' | 'list_services_response' | 'error_response';
  file_descriptor_response?: { file_descriptor_proto: string[] };
  list_services_response?: { service: { name: string }[] };
  error_response?: { error_code: number; error_message: string };
}

/** Reads a varint at `at`: [value, next offset]. */
function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; at < buf.length; shift += 7) {
    const byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
  }
  throw new Error('truncated varint');
}

/** A FileDescriptorProto's name (field 1) and dependencies (field 3), without a descriptor.proto. */
function fileHead(buf: Buffer): { name: string; dependencies: string[] } {
  let name = '';
  const dependencies: string[] = [];
  for (let at = 0; at < buf.length; ) {
    const [tag, next] = varint(buf, at);
    at = next;
    const wire = tag & 7;
    if (wire === 0) at = varint(buf, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [length, start] = varint(buf, at);
      at = start + length;
      const text = () => buf.subarray(start, at).toString('utf8');
      if (tag >>> 3 === 1) name = text();
      else if (tag >>> 3 === 3) dependencies.push(text());
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return { name, dependencies };
}

/** FileDescriptorSet: field 1, one length-delimited FileDescriptorProto each. */
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const length: number[] = [];
    for (let n = file.length; ; n = Math.floor(n / 128)) {
      length.push(n >= 128 ? (n % 128) | 0x80 : n);
      if (n < 128) break;
    }
    parts.push(Buffer.from([0x0a, ...length]), file);
  }
  return Buffer.concat(parts);
}

/** One request/response exchange at a time over the bidi stream (the server answers in order). */
function exchanger(stream: grpc.ClientDuplexStream<object, ReflectionResponse>) {
  const waiting: { resolve: (r: ReflectionResponse) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  const fail = (error: unknown) => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  stream.on('data', (response: ReflectionResponse) => waiting.shift()?.resolve(response));
  stream.on('error', fail);
  stream.on('end', () => fail(new KryonixError('KRX_UPSTREAM_ERROR', 'the reflection stream ended early')));
  return (request: object) =>
    new Promise<ReflectionResponse>((resolve, reject) => {
      if (failure) return reject(failure);
      waiting.push({ resolve, reject });
      stream.write(request);
    });
}

function upstreamError(message: string): KryonixError {
  return new KryonixError('KRX_UPSTREAM_ERROR', `gRPC reflection: ${message}`);
}

async function reflect(
  client: grpc.Client,
  pkg: string,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
): Promise<MethodInfo[]> {
  const def = reflectionMethod(pkg).definition;
  const stream = client.makeBidiStreamRequest(
    def.path,
    def.requestSerialize,
    def.responseDeserialize as (b: Buffer) => ReflectionResponse,
    metadata,
    options,
  );
  try {
    const ask = exchanger(stream);
    const answer = async <K extends 'file_descriptor_response' | 'list_services_response'>(
      request: object,
      kind: K,
    ) => {
      const response = await ask(request);
      if (response.message_response === 'error_response')
        throw upstreamError(response.error_response?.error_message ?? 'error');
      const body = response[kind];
      if (response.message_response !== kind || !body) throw upstreamError(`no ${kind} in the answer`);
      return body as NonNullable<ReflectionResponse[K]>;
    };
    const files = new Map<string, Buffer>();
    const wanted = new Set<string>();
    const add = ({ file_descriptor_proto }: { file_descriptor_proto: string[] }) => {
      for (const encoded of file_descriptor_proto) {
        const buf = Buffer.from(encoded, 'base64');
        const head = fileHead(buf);
        files.set(head.name, buf);
        for (const dependency of head.dependencies) wanted.add(dependency);
      }
    };
    const { service } = await answer({ list_services: '' }, 'list_services_response');
    for (const { name } of service)
      add(await answer({ file_containing_symbol: name }, 'file_descriptor_response'));
    for (let missing = [...wanted].filter((f) => !files.has(f)); missing.length > 0; ) {
      for (const name of missing) add(await answer({ file_by_filename: name }, 'file_descriptor_response'));
      missing = [...wanted].filter((f) => !files.has(f));
    }
    try {
      return methodsOf(loadFileDescriptorSetFromBuffer(descriptorSet([...files.values()]), PROTO_OPTIONS));
    } catch (error) {
      throw upstreamError(`the descriptors do not load: ${error instanceof Error ? error.message : error}`);
    }
  } finally {
    stream.end();
    stream.cancel();
  }
}

/** Every method the server's reflection service describes; v1, then v1alpha when v1 is UNIMPLEMENTED. */
export async function loadByReflection(
  client: grpc.Client,
  metadata: () => Promise<grpc.Metadata>,
  options: () => grpc.CallOptions,
): Promise<MethodInfo[]> {
  for (const pkg of VERSIONS) {
    try {
      return await reflect(client, pkg, await metadata(), options());
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIMPLEMENTED) throw error;
    }
  }
  throw new KryonixError(
    'KRX_UPSTREAM_REJECTED',
    'the server does not offer gRPC reflection; upload .proto files',
    { extensions: { upstreamError: 'UNIMPLEMENTED', grpcCode: UNIMPLEMENTED } },
  );
}
