import { defineAction } from '../../sdk.js';
import { choosePort, loadWsdl } from './invoke.js';
import type { SoapSettings } from './wsdl.js';

interface OperationInfo {
  name: string;
  input?: unknown;
  output?: unknown;
}

/** `soap`'s description of a message, if it serialises (recursive types are cut by `soap` itself). */
function plain(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined || text.length > 100_000 ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const listOperationsAction = defineAction<
  Record<string, never>,
  {
    services: {
      name: string;
      ports: { name: string; soapVersion: string; endpoint: string; operations: OperationInfo[] }[];
    }[];
  }
>({
  name: 'listOperations',
  description:
    "The WSDL's services, ports (with SOAP version and endpoint) and operations with their message shapes",
  classification: 'read',
  idempotent: true,
  input: { type: 'object', properties: {}, additionalProperties: false },
  output: {
    type: 'object',
    properties: {
      services: {
        type: 'array',
        description: 'Services of the WSDL',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Service name' },
            ports: {
              type: 'array',
              description: 'Ports of the service',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string', description: 'Port name' },
                  soapVersion: { enum: ['1.1', '1.2'], description: 'SOAP version the port is called with' },
                  endpoint: { type: 'string', description: 'Address called (the override, if configured)' },
                  operations: {
                    type: 'array',
                    description: 'Operations with their input and output element descriptions',
                    items: {
                      type: 'object',
                      properties: {
                        name: { type: 'string', description: 'Operation name' },
                        input: { description: 'Input message shape (element → XSD type)' },
                        output: { description: 'Output message shape (element → XSD type)' },
                      },
                      required: ['name'],
                    },
                  },
                },
                required: ['name', 'soapVersion', 'endpoint', 'operations'],
              },
            },
          },
          required: ['name', 'ports'],
        },
      },
    },
    required: ['services'],
  },
  async run(context) {
    const settings = context.connection.config as SoapSettings;
    const loaded = await loadWsdl(context);
    const described = loaded.wsdl.describeServices() as Record<
      string,
      Record<string, Record<string, { input?: unknown; output?: unknown }>>
    >;
    return {
      services: Object.entries(described).map(([service, ports]) => ({
        name: service,
        ports: Object.entries(ports).map(([port, operations]) => {
          const choice = choosePort(loaded, settings, { service, port });
          return {
            name: port,
            soapVersion: choice.version,
            endpoint: settings.endpoint ?? choice.location,
            operations: Object.entries(operations).map(([name, shape]) => ({
              name,
              input: plain(shape?.input),
              output: plain(shape?.output),
            })),
          };
        }),
      })),
    };
  },
});
