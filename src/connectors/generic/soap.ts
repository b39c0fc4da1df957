import { AUTH_METHODS, authSchemaOf } from '../auth-schemas.js';
import { defineConnector } from '../sdk.js';
import { callAction } from './soap/call.js';
import { invoke, loadWsdl } from './soap/invoke.js';
import { listOperationsAction } from './soap/list-operations.js';
import { clearWsdls, releaseWsdl, type SoapSettings } from './soap/wsdl.js';

/** WS-Security UsernameToken (OASIS WSS 1.0), put in the SOAP header of every call. */
const WS_SECURITY = {
  type: 'object',
  description: 'WS-Security UsernameToken in the SOAP header',
  properties: {
    type: { const: 'ws_security', description: 'Auth method' },
    username: { type: 'string', minLength: 1, description: 'User name' },
    password: { type: 'string', minLength: 1, writeOnly: true, description: 'Password' },
    passwordType: {
      enum: ['PasswordText', 'PasswordDigest'],
      default: 'PasswordText',
      description: 'Send the password as text or as a digest (with a nonce and creation time)',
    },
    hasTimeStamp: { type: 'boolean', default: true, description: 'Add a wsu:Timestamp' },
    hasNonce: { type: 'boolean', description: 'Add a nonce (always with PasswordDigest)' },
    mustUnderstand: {
      type: 'boolean',
      default: false,
      description: 'Mark the Security header mustUnderstand',
    },
  },
  required: ['type', 'username', 'password'],
  additionalProperties: false,
};

export const soapConnector = defineConnector({
  id: 'soap',
  version: '1.0.0',
  displayName: 'SOAP',
  description:
    'Any SOAP 1.1 or 1.2 service described by a WSDL (URL or uploaded): list operations, call one with JSON input, faults as clear errors; HTTP Basic or WS-Security UsernameToken.',
  type: 'soap',
  category: 'generic',
  docsUrl: 'https://kryonix.dev/docs/connectors/soap',
  config: {
    type: 'object',
    properties: {
      wsdlUrl: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2048,
        description: 'URL of the WSDL (fetched with the connection auth; checked by the SSRF guard)',
      },
      wsdl: {
        type: 'string',
        minLength: 1,
        maxLength: 5_242_880,
        description: 'The WSDL document itself, uploaded as text (imports must be absolute http(s) URLs)',
      },
      endpoint: {
        type: 'string',
        format: 'uri',
        pattern: '^https?://',
        maxLength: 2048,
        description: "Address to call instead of the WSDL's soap:address",
      },
      soapVersion: {
        enum: ['auto', '1.1', '1.2'],
        default: 'auto',
        description: "SOAP version: auto (from the port's binding), or forced",
      },
      defaultHeaders: {
        type: 'object',
        additionalProperties: { type: 'string' },
        description: 'HTTP headers sent with every request',
      },
      testOperation: {
        type: 'object',
        description: 'An operation the connection test calls (default: the test only loads the WSDL)',
        properties: {
          service: { type: 'string', description: 'Service name' },
          port: { type: 'string', description: 'Port name' },
          operation: { type: 'string', minLength: 1, description: 'Operation name' },
          input: { type: 'object', description: 'Operation input as JSON' },
        },
        required: ['operation'],
        additionalProperties: false,
      },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000, description: 'Whole-call timeout in ms' },
      retry: {
        type: 'object',
        description: 'Retry policy for idempotent actions (listOperations)',
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
    oneOf: [{ required: ['wsdlUrl'] }, { required: ['wsdl'] }],
    additionalProperties: false,
  },
  auth: authSchemaOf(AUTH_METHODS.none, AUTH_METHODS.basic, WS_SECURITY),
  actions: [listOperationsAction, callAction],
  async test(context) {
    const settings = context.connection.config as SoapSettings & {
      testOperation?: { service?: string; port?: string; operation: string; input?: Record<string, unknown> };
    };
    const loaded = await loadWsdl(context);
    const services = Object.keys(loaded.wsdl.definitions.services ?? {});
    if (!settings.testOperation)
      return {
        ok: true,
        message: `the WSDL loaded: ${services.length} service(s) (${services.join(', ')})`,
        details: { services },
      };
    const result = await invoke(context, settings.testOperation);
    return {
      ok: true,
      message: `${settings.testOperation.operation} answered on ${result.service}/${result.port}`,
      details: { services, soapVersion: result.soapVersion },
    };
  },
  release: releaseWsdl,
  shutdown: clearWsdls,
});
