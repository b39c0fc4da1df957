import grpc from '@grpc/grpc-js';
import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { callAction } from './grpc/call.js';
import {
  callMethod,
  clientFor,
  closeAllClients,
  type GrpcSettings,
  grpcError,
  releaseClient,
} from './grpc/channel.js';
import { listMethodsAction } from './grpc/list-methods.js';
import { healthCheckMethod } from './grpc/proto.js';

export const grpcConnector = defineConnector({
  id: 'grpc',
  version: '1.1.0',
  displayName: 'gRPC',
  description:
    'Any gRPC service described by uploaded .proto files or by server reflection: list methods, unary (and server-streaming) calls with JSON in and out, metadata auth, TLS, deadlines; health check through grpc.health.v1.',
  type: 'grpc',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/grpc',
  config: {
    type: 'object',
    properties: {
      address: {
        type: 'string',
        minLength: 3,
        maxLength: 300,
        description: 'Server as host:port (the host is checked by the SSRF guard)',
      },
      proto: {
        type: 'string',
        minLength: 1,
        maxLength: 1_048_576,
        description: 'The .proto file as text (stored as main.proto)',
      },
      protoFiles: {
        type: 'object',
        maxProperties: 100,
        additionalProperties: { type: 'string', maxLength: 1_048_576 },
        description:
          'More .proto files by relative name (e.g. "acme/types.proto"), for imports; google/protobuf types are built in',
      },
      reflection: {
        type: 'boolean',
        default: false,
        description:
          "Read the services from the server's gRPC reflection service (v1, else v1alpha) on first use, instead of proto/protoFiles",
      },
      tls: { type: 'boolean', default: false, description: 'Connect with TLS' },
      caCert: {
        type: 'string',
        maxLength: 65_536,
        description: "PEM CA certificate(s) trusted for the server's certificate (default: the system roots)",
      },
      metadata: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'Metadata sent with every call (secrets belong in the auth settings)',
      },
      maxMessageBytes: {
        type: 'integer',
        minimum: 1024,
        maximum: 104_857_600,
        default: 4_194_304,
        description: 'Largest message sent or received',
      },
      healthService: {
        type: 'string',
        maxLength: 255,
        default: '',
        description:
          'Service name asked of grpc.health.v1.Health/Check by the connection test ("" = the server)',
      },
      timeoutMs: {
        type: 'integer',
        minimum: 1,
        maximum: 3_600_000,
        description: 'Whole-call timeout in ms; it is the gRPC deadline',
      },
      retry: {
        type: 'object',
        description: 'Retry policy for idempotent actions (listMethods)',
        properties: {
          attempts: {
            type: 'integer',
            minimum: 0,
            maximum: 20,
            description: 'Retries after the first attempt',
          },
          delayMs: { type: 'integer', minimum: 0, description: 'Base backoff in ms' },
        },
        additionalProperties: false,
      },
    },
    required: ['address'],
    // One source: uploaded files, or reflection (both would leave one silently unused).
    anyOf: [
      { required: ['proto'], properties: { reflection: { const: false } } },
      { required: ['protoFiles'], properties: { reflection: { const: false } } },
      {
        required: ['reflection'],
        properties: { reflection: { const: true }, proto: false, protoFiles: false },
      },
    ],
    additionalProperties: false,
  },
  auth: authSchemaOf(
    AUTH_METHODS.none,
    AUTH_METHODS.bearer,
    AUTH_METHODS.apiKey,
    AUTH_METHODS.oauth2ClientCredentials,
    AUTH_METHODS.jwtBearer,
  ),
  actions: [listMethodsAction, callAction],
  async test(context) {
    const settings = context.connection.config as unknown as GrpcSettings;
    const { client } = await clientFor(context);
    try {
      const { response } = await callMethod(context, client, healthCheckMethod(), {
        request: { service: settings.healthService ?? '' },
      });
      const status = (response as { status?: string }).status ?? 'UNKNOWN';
      return {
        ok: status === 'SERVING',
        message: `grpc.health.v1.Health/Check answered ${status}`,
        details: { status },
      };
    } catch (error) {
      const mapped = grpcError(error);
      if (mapped.extensions.grpcCode !== grpc.status.UNIMPLEMENTED) throw mapped;
      // No health service: the server answered, so the channel works.
      return { ok: true, message: 'the server answered (it has no grpc.health.v1 service)' };
    }
  },
  release: releaseClient,
  shutdown: closeAllClients,
});
