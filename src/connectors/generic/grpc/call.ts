import { defineAction } from '../../sdk.js';
import { type CallResult, callMethod, clientFor } from './channel.js';
import { findMethod } from './proto.js';

interface CallInput {
  service: string;
  method: string;
  request?: object;
  metadata?: Record<string, string>;
  maxMessages?: number;
}

export const callAction = defineAction<CallInput, CallResult>({
  name: 'call',
  description:
    "Call a unary gRPC method with a JSON request and answer its JSON response; a server-streaming method's messages are collected up to maxMessages",
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      service: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'Service: fully qualified (package.Service) or its last part when unique',
      },
      method: { type: 'string', minLength: 1, maxLength: 255, description: 'Method name as in the .proto' },
      request: {
        type: 'object',
        description:
          'The request message as JSON (field names as in the .proto; 64-bit integers and bytes (base64) as strings)',
      },
      metadata: {
        type: 'object',
        additionalProperties: { type: 'string', maxLength: 8192 },
        maxProperties: 50,
        description: 'Extra call metadata (ASCII values)',
      },
      maxMessages: {
        type: 'integer',
        minimum: 1,
        maximum: 10_000,
        default: 100,
        description: 'Server streaming: messages collected before the stream is cancelled',
      },
    },
    required: ['service', 'method'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      response: { description: 'Unary: the response message as JSON' },
      messages: { type: 'array', description: 'Server streaming: the messages received' },
      truncated: { type: 'boolean', description: 'Server streaming: more messages came than maxMessages' },
    },
  },
  async run(context, input) {
    const { client, methods } = await clientFor(context);
    const method = findMethod(methods, input.service, input.method);
    return callMethod(context, client, method, {
      request: input.request ?? {},
      metadata: input.metadata,
      maxMessages: input.maxMessages,
    });
  },
});
