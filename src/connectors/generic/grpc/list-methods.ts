import { defineAction } from '../../sdk.js';
import { clientFor } from './channel.js';

export const listMethodsAction = defineAction<
  Record<string, never>,
  {
    methods: {
      service: string;
      method: string;
      path: string;
      requestType: string;
      responseType: string;
      requestStream: boolean;
      responseStream: boolean;
    }[];
  }
>({
  name: 'listMethods',
  description:
    'The services and methods the connection protos declare, with their message types and streaming kind',
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: {}, additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      methods: {
        type: 'array',
        description: 'Every method of every service',
        items: {
          type: 'object',
          properties: {
            service: { type: 'string', description: 'Fully qualified service name (package.Service)' },
            method: { type: 'string', description: 'Method name' },
            path: { type: 'string', description: 'HTTP/2 path (/package.Service/Method)' },
            requestType: { type: 'string', description: 'Request message type' },
            responseType: { type: 'string', description: 'Response message type' },
            requestStream: { type: 'boolean', description: 'Client streaming (not callable here)' },
            responseStream: { type: 'boolean', description: 'Server streaming (messages collected)' },
          },
          required: ['service', 'method', 'path'],
        },
      },
    },
    required: ['methods'],
  },
  async run(context) {
    const { methods } = await clientFor(context);
    return { methods: methods.map(({ definition: _definition, ...method }) => method) };
  },
});
