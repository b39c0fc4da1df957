/**
 * WSDL loading for the SOAP connector. A WSDL comes from a URL (fetched through the connection's HTTP,
 * so the SSRF guard and auth apply) or as uploaded text. Imports are fetched the same way and only
 * over http(s): `soap` would otherwise read a relative or `file:` location from the local disk.
 * Parsed WSDLs are kept per connection until its settings change.
 */
import { XMLParser } from 'fast-xml-parser';
import { type IHttpClient, WSDL } from 'soap';
import { KryonixError } from '../../../platform/errors.js';
import type { ConnectorHttp } from '../../http.js';
import type { ActionContext } from '../../sdk.js';

export type SoapVersion = '1.1' | '1.2';

export interface SoapSettings {
  wsdlUrl?: string;
  wsdl?: string;
  endpoint?: string;
  soapVersion?: 'auto' | SoapVersion;
  defaultHeaders?: Record<string, string>;
}

export interface LoadedWsdl {
  wsdl: WSDL;
  /** `service/port` → the SOAP version its address element declares. */
  versions: Map<string, SoapVersion>;
}

const MAX_WSDL_CHARS = 5 * 1024 * 1024;
const MAX_IMPORTS = 50;
const SOAP12_WSDL_NS = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const CACHE_LIMIT = 500;

/** Statuses a SOAP endpoint answers faults with (1.1: 500; 1.2: 400 Sender / 500 Receiver; 401/403 security). */
const FAULT_STATUSES = [400, 401, 403, 500];

/**
 * The `soap` library's HTTP client interface over the connection's HTTP: auth, SSRF guard, timeout
 * signal and error mapping come from `context.http`; fault statuses are handed back for `soap` to parse.
 */
export function soapHttpClient(http: ConnectorHttp, useAuth: boolean): IHttpClient {
  return {
    request(url, data, callback, headers) {
      const post = data !== null && data !== undefined;
      const flat: Record<string, string> = {};
      for (const [key, value] of Object.entries(headers ?? {}))
        if (value !== undefined && value !== null) flat[key.toLowerCase()] = String(value);
      if (!post) flat.accept = 'text/xml, application/xml, application/wsdl+xml, */*;q=0.5';
      http<string>({
        method: post ? 'POST' : 'GET',
        url,
        body: post ? String(data) : undefined,
        headers: flat,
        auth: useAuth,
        responseType: 'text',
        acceptStatuses: post ? FAULT_STATUSES : [],
      }).then(
        (response) => callback(null, { status: response.status, headers: response.headers }, response.data),
        (error) => callback(error),
      );
      // `soap` ignores the returned promise when a callback is given.
      return undefined as never;
    },
  };
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** `service/port` → SOAP version, read from the namespace of each port's address element. */
export function portVersions(text: string): Map<string, SoapVersion> {
  const versions = new Map<string, SoapVersion>();
  let doc: Record<string, any>;
  try {
    doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '@',
      processEntities: false,
      isArray: (name) => /(^|:)(service|port)$/.test(name),
    }).parse(text);
  } catch {
    return versions;
  }
  const localName = (key: string) => key.slice(key.indexOf(':') + 1);
  const rootKey = Object.keys(doc).find((key) => localName(key) === 'definitions');
  const root = rootKey ? doc[rootKey] : undefined;
  if (!root || typeof root !== 'object') return versions;
  const nsOf = (prefix: string, ...scopes: Record<string, any>[]) => {
    const attribute = prefix ? `@xmlns:${prefix}` : '@xmlns';
    for (const scope of scopes) if (typeof scope?.[attribute] === 'string') return scope[attribute] as string;
    return undefined;
  };
  for (const [serviceKey, services] of Object.entries(root)) {
    if (localName(serviceKey) !== 'service' || !Array.isArray(services)) continue;
    for (const service of services as Record<string, any>[]) {
      for (const [portKey, ports] of Object.entries(service ?? {})) {
        if (localName(portKey) !== 'port' || !Array.isArray(ports)) continue;
        for (const port of ports as Record<string, any>[]) {
          const addressKey = Object.keys(port ?? {}).find((key) => localName(key) === 'address');
          if (!addressKey) continue;
          const prefix = addressKey.includes(':') ? addressKey.slice(0, addressKey.indexOf(':')) : '';
          const ns = nsOf(prefix, port[addressKey], port, service, root);
          versions.set(`${service['@name']}/${port['@name']}`, ns === SOAP12_WSDL_NS ? '1.2' : '1.1');
        }
      }
    }
  }
  return versions;
}

function parseWsdl(text: string, uri: string, http: IHttpClient): Promise<WSDL> {
  let imports = 0;
  return new Promise((resolve, reject) => {
    const wsdl = new WSDL(text, uri, {
      httpClient: http,
      wsdl_options: {
        overrideImportLocation(location: string) {
          if (!isHttpUrl(location))
            throw new KryonixError(
              'KRX_VALIDATION_FAILED',
              `the WSDL imports ${location}: only absolute http(s) locations are fetched`,
            );
          if (++imports > MAX_IMPORTS)
            throw new KryonixError('KRX_LIMIT_EXCEEDED', `the WSDL has more than ${MAX_IMPORTS} imports`);
          return location;
        },
      },
    } as never);
    // `soap` resolves imports through this cache; open_wsdl sets it, constructing directly must too.
    (wsdl as unknown as { WSDL_CACHE: Record<string, unknown> }).WSDL_CACHE = {};
    wsdl.onReady((error: unknown) => (error ? reject(error) : resolve(wsdl)));
  });
}

function wsdlError(error: unknown, source: string): KryonixError {
  if (error instanceof KryonixError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new KryonixError(
    'KRX_UPSTREAM_REJECTED',
    `the WSDL ${source} does not parse: ${message.slice(0, 300)}`,
    {
      extensions: { upstreamMessage: message.slice(0, 300) },
    },
  );
}

const loaded = new Map<string, { key: string; promise: Promise<LoadedWsdl> }>();

async function load(context: ActionContext, settings: SoapSettings, useAuth: boolean): Promise<LoadedWsdl> {
  const http = soapHttpClient(context.http, useAuth);
  let text: string;
  let uri: string;
  if (settings.wsdlUrl) {
    if (!isHttpUrl(settings.wsdlUrl))
      throw new KryonixError('KRX_VALIDATION_FAILED', 'the WSDL URL must be http(s)');
    const response = await context.http<string>({
      method: 'GET',
      url: settings.wsdlUrl,
      auth: useAuth,
      responseType: 'text',
      headers: { accept: 'text/xml, application/xml, application/wsdl+xml, */*;q=0.5' },
    });
    text = response.data;
    uri = settings.wsdlUrl;
  } else if (settings.wsdl) {
    text = settings.wsdl;
    uri = 'uploaded.wsdl'; // not a URL: relative imports of an uploaded WSDL are refused
  } else
    throw new KryonixError('KRX_VALIDATION_FAILED', 'the connection needs config.wsdlUrl or config.wsdl');
  if (text.length > MAX_WSDL_CHARS)
    throw new KryonixError('KRX_LIMIT_EXCEEDED', `the WSDL is larger than ${MAX_WSDL_CHARS} characters`);
  const source = settings.wsdlUrl ?? '(uploaded)';
  try {
    const wsdl = await parseWsdl(text, uri, http);
    return { wsdl, versions: portVersions(text) };
  } catch (error) {
    throw wsdlError(error, source);
  }
}

/** The parsed WSDL of a connection, loaded once (a failed load is retried on the next call). */
export function wsdlFor(context: ActionContext, useAuth: boolean): Promise<LoadedWsdl> {
  const settings = context.connection.config as SoapSettings;
  const key = JSON.stringify([settings.wsdlUrl, settings.wsdl, useAuth]);
  const id = context.connection.id;
  const hit = loaded.get(id);
  if (hit?.key === key) return hit.promise;
  const promise = load(context, settings, useAuth);
  if (loaded.size >= CACHE_LIMIT) loaded.delete(loaded.keys().next().value as string);
  loaded.set(id, { key, promise });
  promise.catch(() => {
    if (loaded.get(id)?.promise === promise) loaded.delete(id);
  });
  return promise;
}

export async function releaseWsdl(connectionId: string): Promise<void> {
  loaded.delete(connectionId);
}

export async function clearWsdls(): Promise<void> {
  loaded.clear();
}
