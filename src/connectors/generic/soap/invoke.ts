/**
 * Calling one SOAP operation: picks the service and port, builds a `soap` client for this run (its HTTP
 * bound to the run's context, WS-Security added when the connection uses it), and turns faults and
 * transport failures into platform errors.
 */
import { Client, WSSecurity } from 'soap';
import { KryonixError } from '../../../platform/errors.js';
import { describeGenericError, upstreamError } from '../../http.js';
import { type ActionContext, DEFAULT_RETRY_RULES } from '../../sdk.js';
import { type LoadedWsdl, type SoapSettings, type SoapVersion, soapHttpClient, wsdlFor } from './wsdl.js';

interface WsSecuritySettings {
  type: 'ws_security';
  username: string;
  password: string;
  passwordType?: 'PasswordText' | 'PasswordDigest';
  hasTimeStamp?: boolean;
  hasNonce?: boolean;
  mustUnderstand?: boolean;
}

const SOAP = { displayName: 'SOAP service' };

export function authOf(context: ActionContext): { type: string } & Record<string, unknown> {
  return { type: 'none', ...(context.connection.authConfig ?? {}), ...context.credentials } as {
    type: string;
  };
}

/** WS-Security goes in the envelope; every other method is applied to the HTTP request. */
export function usesHttpAuth(context: ActionContext): boolean {
  return authOf(context).type !== 'ws_security';
}

export async function loadWsdl(context: ActionContext): Promise<LoadedWsdl> {
  return wsdlFor(context, usesHttpAuth(context));
}

interface PortChoice {
  service: string;
  port: string;
  version: SoapVersion;
  location: string;
}

function choices(names: string[]): string {
  return names.length > 0 ? names.join(', ') : '(none)';
}

/** The service and port to call: as named, or the only service and the first port of the wanted version. */
export function choosePort(
  loaded: LoadedWsdl,
  settings: SoapSettings,
  wanted: { service?: string; port?: string },
): PortChoice {
  const services = (loaded.wsdl.definitions.services ?? {}) as Record<
    string,
    { ports: Record<string, { location?: string }> }
  >;
  const serviceNames = Object.keys(services);
  let service = wanted.service;
  if (service === undefined) {
    if (serviceNames.length !== 1)
      throw new KryonixError(
        'KRX_VALIDATION_FAILED',
        `the WSDL has ${serviceNames.length} services: name one in "service" (${choices(serviceNames)})`,
      );
    service = serviceNames[0];
  }
  if (!Object.hasOwn(services, service))
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the WSDL has no service "${service}" (services: ${choices(serviceNames)})`,
    );
  const ports = services[service].ports ?? {};
  const portNames = Object.keys(ports);
  const versionOf = (port: string): SoapVersion =>
    settings.soapVersion && settings.soapVersion !== 'auto'
      ? settings.soapVersion
      : (loaded.versions.get(`${service}/${port}`) ?? '1.1');
  let port = wanted.port;
  if (port === undefined) {
    const preferred =
      settings.soapVersion && settings.soapVersion !== 'auto'
        ? portNames.find((name) => loaded.versions.get(`${service}/${name}`) === settings.soapVersion)
        : undefined;
    port = preferred ?? portNames[0];
  }
  if (port === undefined || !Object.hasOwn(ports, port))
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the service "${service}" has no port "${port ?? ''}" (ports: ${choices(portNames)})`,
    );
  return { service, port, version: versionOf(port), location: ports[port].location ?? '' };
}

/** A SOAP fault's code, reason and detail, in either version's shape. */
function faultOf(error: unknown): { code: string; reason: string; detail?: unknown } | undefined {
  const fault = (error as { root?: { Envelope?: { Body?: { Fault?: Record<string, any> } } } })?.root
    ?.Envelope?.Body?.Fault;
  if (!fault || typeof fault !== 'object') return undefined;
  const text = (value: unknown): string | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'object' && '$value' in (value as object))
      return String((value as { $value: unknown }).$value);
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  };
  if (fault.faultcode !== undefined || fault.faultstring !== undefined) {
    return {
      code: text(fault.faultcode) ?? 'Fault',
      reason: text(fault.faultstring) ?? '',
      detail: fault.detail,
    };
  }
  const code = text(fault.Code?.Value) ?? 'Fault';
  const subcode = text(fault.Code?.Subcode?.Value);
  return {
    code: subcode ? `${code} (${subcode})` : code,
    reason: text(fault.Reason?.Text) ?? '',
    detail: fault.Detail,
  };
}

const AUTH_FAULT = /FailedAuthentication|InvalidSecurity|FailedCheck|AuthenticationFailure|Unauthori[sz]ed/i;

/** A SOAP fault → KRX_UPSTREAM_REJECTED (or AUTH_FAILED for a security fault); transport trouble by status. */
export function soapError(error: unknown): KryonixError {
  if (error instanceof KryonixError) return error;
  const response = (error as { response?: { status?: number } })?.response;
  const status = response?.status ?? 0;
  const fault = faultOf(error);
  if (fault) {
    const detail = fault.detail === undefined ? undefined : JSON.stringify(fault.detail)?.slice(0, 2000);
    const extensions = {
      upstreamStatus: status || undefined,
      upstreamError: fault.code,
      upstreamMessage: fault.reason,
      ...(detail ? { faultDetail: detail } : {}),
    };
    const message = `SOAP fault ${fault.code}: ${fault.reason}`;
    if (status === 401 || status === 403 || AUTH_FAULT.test(fault.code))
      return new KryonixError('KRX_UPSTREAM_AUTH_FAILED', message, { extensions });
    return new KryonixError('KRX_UPSTREAM_REJECTED', message, { extensions });
  }
  const body = (error as { body?: unknown })?.body;
  if (status >= 400) {
    const text = typeof body === 'string' ? body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ') : body;
    return upstreamError(SOAP, status, describeGenericError(status, text), {
      retryable: DEFAULT_RETRY_RULES.statuses.includes(status),
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new KryonixError(
    'KRX_UPSTREAM_ERROR',
    `the SOAP service answered something that is not a SOAP response: ${message.slice(0, 300)}`,
    { extensions: { upstreamStatus: status || undefined, upstreamMessage: message.slice(0, 300) } },
  );
}

export interface SoapCall {
  service?: string;
  port?: string;
  operation: string;
  input?: Record<string, unknown>;
}

export interface SoapCallResult {
  output: unknown;
  header?: unknown;
  service: string;
  port: string;
  soapVersion: SoapVersion;
}

type SoapCallback = (error: unknown, result: unknown, raw: unknown, header: unknown) => void;
type SoapOperation = (args: unknown, callback: SoapCallback, options?: unknown, headers?: unknown) => void;

export async function invoke(context: ActionContext, call: SoapCall): Promise<SoapCallResult> {
  const settings = context.connection.config as SoapSettings;
  const loaded = await loadWsdl(context);
  const choice = choosePort(loaded, settings, call);
  const auth = authOf(context);
  const client = new Client(loaded.wsdl, settings.endpoint, {
    httpClient: soapHttpClient(context.http, auth.type !== 'ws_security'),
    forceSoap12Headers: choice.version === '1.2',
  });
  if (auth.type === 'ws_security') {
    const ws = auth as unknown as WsSecuritySettings;
    client.setSecurity(
      new WSSecurity(ws.username, ws.password, {
        passwordType: ws.passwordType ?? 'PasswordText',
        hasTimeStamp: ws.hasTimeStamp ?? true,
        hasNonce: ws.hasNonce ?? ws.passwordType === 'PasswordDigest',
        mustUnderstand: ws.mustUnderstand ?? false,
      }),
    );
  }
  const port = (client as unknown as Record<string, Record<string, Record<string, unknown>>>)[
    choice.service
  ]?.[choice.port];
  const operation = port && Object.hasOwn(port, call.operation) ? port[call.operation] : undefined;
  if (typeof operation !== 'function') {
    throw new KryonixError(
      'KRX_VALIDATION_FAILED',
      `the port "${choice.port}" has no operation "${call.operation}" (operations: ${choices(Object.keys(port ?? {}))})`,
      { extensions: { errors: [{ path: '/input/operation', message: 'unknown operation' }] } },
    );
  }
  return new Promise<SoapCallResult>((resolve, reject) => {
    try {
      (operation as SoapOperation)(call.input ?? {}, (error, result, _raw, header) => {
        if (error) reject(soapError(error));
        else
          resolve({
            output: result ?? null,
            ...(header !== undefined && header !== null ? { header } : {}),
            service: choice.service,
            port: choice.port,
            soapVersion: choice.version,
          });
      });
    } catch (error) {
      // Thrown while building the envelope from the input: the input does not fit the operation.
      const message = error instanceof Error ? error.message : String(error);
      reject(
        error instanceof KryonixError
          ? error
          : new KryonixError('KRX_VALIDATION_FAILED', `the input does not fit ${call.operation}: ${message}`),
      );
    }
  });
}
