import { defineAction } from '../../sdk.js';
import { invoke, type SoapCall, type SoapCallResult } from './invoke.js';

export const callAction = defineAction<SoapCall, SoapCallResult>({
  name: 'call',
  description:
    'Call a SOAP operation with JSON input (turned into the request envelope by the WSDL) and answer its output as JSON; a fault is a KRX_UPSTREAM_REJECTED error carrying the fault code and string',
  classification: 'write',
  idempotent: false,
  input: {
    type: 'object',
    properties: {
      service: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: 'Service name (optional when the WSDL has one service)',
      },
      port: {
        type: 'string',
        minLength: 1,
        maxLength: 255,
        description: "Port name (default: the first port, or the first of the connection's SOAP version)",
      },
      operation: { type: 'string', minLength: 1, maxLength: 255, description: 'Operation name' },
      input: {
        type: 'object',
        description: 'The operation input as JSON: element names as keys, arrays for repeated elements',
      },
    },
    required: ['operation'],
    additionalProperties: false,
  },
  output: {
    type: 'object',
    properties: {
      output: { description: 'The operation output as JSON' },
      header: { description: 'The response SOAP header, if any' },
      service: { type: 'string', description: 'Service called' },
      port: { type: 'string', description: 'Port called' },
      soapVersion: { enum: ['1.1', '1.2'], description: 'SOAP version used' },
    },
    required: ['output', 'service', 'port', 'soapVersion'],
  },
  run: (context, input) => invoke(context, input),
});
