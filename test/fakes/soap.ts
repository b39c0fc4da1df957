/**
 * A real SOAP service for the SOAP connector's tests, served by the `soap` package's own server
 * (`soap.listen`) from the calculator WSDL beside this file: a SOAP 1.1 endpoint, a SOAP 1.2 endpoint,
 * one that requires a WS-Security UsernameToken and one behind HTTP Basic auth. Divide by zero answers a
 * Client/Sender fault; `Lookup` of an unknown name a Server/Receiver fault.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import soap, { type IServerOptions, type Server } from 'soap';

export interface FakeSoap {
  baseUrl: string;
  /** WSDL of a variant with its soap:address pointing at this server. */
  wsdl(variant: SoapVariant): string;
  /** Requests received, by path, with their SOAP envelope and headers. */
  requests: { path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export type SoapVariant = 'calc11' | 'calc12' | 'secure' | 'basic';

export const SOAP_USER = { username: 'alice', password: 's3cret' };

const TEMPLATE = fs.readFileSync(new URL('./soap-calculator.wsdl', import.meta.url), 'utf8');

const SOAP11 = {
  ns: 'http://schemas.xmlsoap.org/wsdl/soap/',
  transport: 'http://schemas.xmlsoap.org/soap/http',
};
const SOAP12 = {
  ns: 'http://schemas.xmlsoap.org/wsdl/soap12/',
  transport: 'http://schemas.xmlsoap.org/soap/http',
};

function wsdlFor(baseUrl: string, variant: SoapVariant): string {
  const version = variant === 'calc12' ? SOAP12 : SOAP11;
  return TEMPLATE.replaceAll('{{SOAP_NS}}', version.ns)
    .replaceAll('{{TRANSPORT}}', version.transport)
    .replaceAll('{{LOCATION}}', `${baseUrl}/${variant}`);
}

function fault(version: '1.1' | '1.2', kind: 'client' | 'server', text: string) {
  if (version === '1.1')
    return {
      Fault: {
        faultcode: kind === 'client' ? 'soap:Client' : 'soap:Server',
        faultstring: text,
        detail: { reason: text },
        statusCode: 500,
      },
    };
  return {
    Fault: {
      Code: {
        Value: kind === 'client' ? 'soap:Sender' : 'soap:Receiver',
        Subcode: { Value: 'calc:BadInput' },
      },
      Reason: { Text: text },
      statusCode: kind === 'client' ? 400 : 500,
    },
  };
}

function add(args: { a: number; b: number }) {
  return { result: Number(args.a) + Number(args.b) };
}

function divide(version: '1.1' | '1.2', args: { a: number; b: number }) {
  if (Number(args.b) === 0) throw fault(version, 'client', 'Division by zero');
  return { result: Number(args.a) / Number(args.b) };
}

function lookup(version: '1.1' | '1.2', args: { name: string }) {
  if (args.name !== 'ada') throw fault(version, 'server', `No customer named ${args.name}`);
  return { customer: { id: 1, name: 'Ada Lovelace', tags: ['math', 'poetry'] } };
}

/** The operations of the calculator port (operation names are the WSDL's). */
function services(version: '1.1' | '1.2') {
  const port = { Add: add, Divide: divide.bind(null, version), Lookup: lookup.bind(null, version) };
  return { CalculatorService: { CalculatorPort: port } };
}

export async function startFakeSoap(): Promise<FakeSoap> {
  const requests: FakeSoap['requests'] = [];
  const server = http.createServer((_req, res) => {
    res.statusCode = 404;
    res.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const listen = (options: Omit<IServerOptions, 'callback'>) =>
    new Promise<Server>((resolve, reject) => {
      const listening: Server = soap.listen(server, {
        ...options,
        callback: (error: unknown) => (error ? reject(error) : resolve(listening)),
      });
    });
  await listen({ path: '/calc11', services: services('1.1'), xml: wsdlFor(baseUrl, 'calc11') });
  await listen({
    path: '/calc12',
    services: services('1.2'),
    xml: wsdlFor(baseUrl, 'calc12'),
    forceSoap12Headers: true,
  });
  const secure = await listen({
    path: '/secure',
    services: services('1.1'),
    xml: wsdlFor(baseUrl, 'secure'),
  });
  secure.authenticate = (security: any) => {
    const token = security?.UsernameToken;
    const password = token?.Password?.$value ?? token?.Password;
    return token?.Username === SOAP_USER.username && password === SOAP_USER.password;
  };
  const basic = await listen({ path: '/basic', services: services('1.1'), xml: wsdlFor(baseUrl, 'basic') });
  const expected = `Basic ${Buffer.from(`${SOAP_USER.username}:${SOAP_USER.password}`).toString('base64')}`;
  basic.authorizeConnection = (req, res) => {
    if (!res) return true;
    if (!req.url?.startsWith('/basic')) return true;
    if (req.headers.authorization === expected) return true;
    res.statusCode = 401;
    res.setHeader('www-authenticate', 'Basic realm="calc"');
    res.write('Unauthorized');
    return false;
  };
  // Every request is recorded before soap's own listeners see it.
  const handlers = server.listeners('request') as ((
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) => void)[];
  server.removeAllListeners('request');
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const entry = { path: req.url ?? '', headers: req.headers, body: '' };
    requests.push(entry);
    req.on('data', (chunk) => {
      entry.body += chunk;
    });
    for (const handler of handlers) handler.call(server, req, res);
  });

  return {
    baseUrl,
    wsdl: (variant) => wsdlFor(baseUrl, variant),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
