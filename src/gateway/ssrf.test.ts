import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Dispatcher, fetch, interceptors, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KryonixError } from '../platform/errors.js';
import { parseCidrList } from '../platform/net/cidr.js';
import {
  type AddressClass,
  checkAddress,
  checkTargetUrl,
  classifyAddress,
  createGuardedDispatcher,
  findTargetForbidden,
  type ResolveHost,
} from './ssrf.js';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.170.2', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['168.63.129.16', 'cloud-metadata'],
    ['192.0.0.192', 'cloud-metadata'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['192.88.99.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001:0:4136:e378::1', 'reserved'], // Teredo
    ['3fff::1', 'reserved'],
    ['64:ff9b:1::a00:1', 'reserved'],
    ['100::1', 'reserved'], // discard-only
    ['::127.0.0.1', 'reserved'], // deprecated IPv4-compatible
    ['4000::1', 'reserved'], // outside global unicast
  ])('%s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each<[string, AddressClass]>([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'cloud-metadata'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['64:ff9b::127.0.0.1', 'loopback'], // NAT64 of loopback
    ['64:ff9b::a00:1', 'private'],
    ['64:ff9b::169.254.169.254', 'cloud-metadata'],
    ['2002:7f00:1::1', 'loopback'], // 6to4 embedding 127.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 embedding 192.168.1.1
  ])('embedded IPv4 decides: %s is %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '64:ff9b::8.8.8.8', // NAT64 of a public address, as IPv6-only networks use it
    '2002:808:808::1', // 6to4 of 8.8.8.8
    '::ffff:8.8.8.8',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBe('public');
  });

  it('fails closed on text that is not a strict IP address', () => {
    expect(classifyAddress('2130706433')).toBe('reserved');
    expect(classifyAddress('0x7f000001')).toBe('reserved');
    expect(classifyAddress('localhost')).toBe('reserved');
  });
});

describe('checkAddress', () => {
  it('allows public addresses without a list and refuses the rest', () => {
    expect(checkAddress('8.8.8.8')).toEqual({ allowed: true, addressClass: 'public' });
    expect(checkAddress('10.0.0.1')).toEqual({ allowed: false, addressClass: 'private' });
  });

  it('opens exactly the networks of the allow-list', () => {
    const allowed = parseCidrList('127.0.0.1/32, 10.20.0.0/16, fd00::/8');
    expect(checkAddress('127.0.0.1', allowed).allowed).toBe(true);
    expect(checkAddress('::ffff:127.0.0.1', allowed).allowed).toBe(true);
    expect(checkAddress('127.0.0.2', allowed).allowed).toBe(false);
    expect(checkAddress('10.20.3.4', allowed).allowed).toBe(true);
    expect(checkAddress('10.21.0.1', allowed).allowed).toBe(false);
    expect(checkAddress('fd00::5', allowed).allowed).toBe(true);
    expect(checkAddress('::1', allowed).allowed).toBe(false);
  });

  it('opens a cloud-metadata address only for an entry naming exactly it', () => {
    expect(checkAddress('169.254.169.254', parseCidrList('0.0.0.0/0')).allowed).toBe(false);
    expect(checkAddress('169.254.169.254', parseCidrList('169.254.0.0/16')).allowed).toBe(false);
    expect(checkAddress('169.254.1.1', parseCidrList('169.254.0.0/16')).allowed).toBe(true);
    expect(checkAddress('169.254.169.254', parseCidrList('169.254.169.254/32')).allowed).toBe(true);
    expect(checkAddress('fd00:ec2::254', parseCidrList('fd00::/8')).allowed).toBe(false);
    expect(checkAddress('fd00:ec2::254', parseCidrList('fd00:ec2::254')).allowed).toBe(true);
  });
});

describe('host normalisation by the WHATWG URL parser (which undici uses)', () => {
  it.each([
    ['http://2130706433/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0x7f.0.0.1/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://127.0.0.1./', '127.0.0.1'],
    ['http://%31%32%37.0.0.1/', '127.0.0.1'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:0:0:1]/', '[::1]'],
  ])('%s has host %s', (url, hostname) => {
    expect(new URL(url).hostname).toBe(hostname);
  });

  it('rejects numeric hosts out of range instead of passing them to DNS', () => {
    expect(() => new URL('http://4294967296/')).toThrow();
    expect(() => new URL('http://1.2.3.4.5/')).toThrow();
    expect(() => new URL('http://1.2.3.08/')).toThrow();
  });
});

describe('checkTargetUrl', () => {
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0.0.0.0/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://127.1/',
    'https://10.0.0.1:8443/',
  ])('refuses %s with KRX_TARGET_FORBIDDEN', (url) => {
    expect(() => checkTargetUrl(url)).toThrow(expect.objectContaining({ code: 'KRX_TARGET_FORBIDDEN' }));
  });

  it('passes public literals, names (checked at connect time) and allowed literals', () => {
    expect(checkTargetUrl('https://93.184.216.34/hook').hostname).toBe('93.184.216.34');
    expect(checkTargetUrl('https://hooks.example.com/x').hostname).toBe('hooks.example.com');
    expect(checkTargetUrl('http://127.0.0.1:8080/', parseCidrList('127.0.0.1/32')).port).toBe('8080');
  });

  it('refuses non-http schemes and malformed URLs as validation errors', () => {
    for (const url of ['ftp://example.com/', 'file:///etc/passwd', 'gopher://example.com/', 'not a url']) {
      expect(() => checkTargetUrl(url)).toThrow(expect.objectContaining({ code: 'KRX_VALIDATION_FAILED' }));
    }
  });
});

describe('guarded dispatcher', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const opened: Dispatcher[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://placeholder');
      const location = target.searchParams.get('to');
      if (location !== null) {
        res.writeHead(302, { location: location.replace('PORT', String(port)) });
        res.end();
        return;
      }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ host: req.headers.host, path: target.pathname }));
    });
    server.on('connection', () => {
      connections++;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(opened.map((dispatcher) => dispatcher.close()));
    await new Promise((resolve) => server.close(resolve));
  });

  function dispatcher(allowed = '', resolveHost?: ResolveHost): Dispatcher {
    const created = createGuardedDispatcher({ allowedNetworks: parseCidrList(allowed), resolveHost });
    opened.push(created);
    return created;
  }

  async function refusal(run: () => Promise<unknown>): Promise<KryonixError> {
    let failure: unknown;
    try {
      await run();
    } catch (error) {
      failure = error;
    }
    const forbidden = findTargetForbidden(failure);
    if (forbidden === undefined) throw new Error(`expected KRX_TARGET_FORBIDDEN, got ${String(failure)}`);
    return forbidden;
  }

  it('reaches a local upstream that the allow-list opens', async () => {
    const response = await request(`http://127.0.0.1:${port}/hello`, {
      dispatcher: dispatcher('127.0.0.1/32'),
    });
    expect(response.statusCode).toBe(200);
    expect(await response.body.json()).toEqual({ host: `127.0.0.1:${port}`, path: '/hello' });
  });

  it.each([
    ['127.0.0.1', () => `http://127.0.0.1:${port}/`, 'loopback'],
    ['[::1]', () => `http://[::1]:${port}/`, 'loopback'],
    ['169.254.169.254', () => `http://169.254.169.254:${port}/latest/meta-data/`, 'cloud-metadata'],
    ['0.0.0.0', () => `http://0.0.0.0:${port}/`, 'unspecified'],
    ['::ffff:127.0.0.1', () => `http://[::ffff:127.0.0.1]:${port}/`, 'loopback'],
    ['decimal 2130706433', () => `http://2130706433:${port}/`, 'loopback'],
    ['hex 0x7f000001', () => `http://0x7f000001:${port}/`, 'loopback'],
    ['dotted hex 0x7f.0.0.1', () => `http://0x7f.0.0.1:${port}/`, 'loopback'],
    ['octal 0177.0.0.1', () => `http://0177.0.0.1:${port}/`, 'loopback'],
    ['short 127.1', () => `http://127.1:${port}/`, 'loopback'],
    ['10.0.0.1', () => `http://10.0.0.1:${port}/`, 'private'],
  ])('refuses %s before connecting', async (_name, url, addressClass) => {
    const before = connections;
    const error = await refusal(() => request(url(), { dispatcher: dispatcher() }));
    expect(error).toBeInstanceOf(KryonixError);
    expect(error.status).toBe(403);
    expect(error.errorClass).toBe('user');
    expect(error.extensions).toEqual({ addressClass });
    expect(connections).toBe(before);
  });

  it('refuses a host name that resolves to a private address (system resolver: localhost)', async () => {
    const error = await refusal(() => request(`http://localhost:${port}/`, { dispatcher: dispatcher() }));
    expect(error.extensions.addressClass).toBe('loopback');
  });

  it('refuses a name when any one of its addresses is forbidden', async () => {
    const resolveHost: ResolveHost = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const error = await refusal(() =>
      request(`http://mixed.test:${port}/`, { dispatcher: dispatcher('', resolveHost) }),
    );
    expect(error.extensions.addressClass).toBe('private');
  });

  it('never names the address or the host in the error', async () => {
    const resolveHost: ResolveHost = async () => [{ address: '10.13.37.42', family: 4 }];
    const error = await refusal(() =>
      request(`http://db.internal.test:${port}/`, { dispatcher: dispatcher('', resolveHost) }),
    );
    expect(JSON.stringify(error.toProblem())).not.toMatch(/10\.13\.37\.42|internal/);
    expect(error.message).toBe('Connections to private addresses are not allowed');
  });

  it('connects to the address it checked, resolving once per connection', async () => {
    const lookups: string[] = [];
    const resolveHost: ResolveHost = async (hostname): Promise<LookupAddress[]> => {
      lookups.push(hostname);
      // A rebinding resolver: allowed first, forbidden on any later answer.
      return [{ address: lookups.length === 1 ? '127.0.0.1' : '127.0.0.2', family: 4 }];
    };
    const guarded = dispatcher('127.0.0.1/32', resolveHost);
    const response = await request(`http://upstream.test:${port}/via-name`, { dispatcher: guarded });
    expect(await response.body.json()).toEqual({ host: `upstream.test:${port}`, path: '/via-name' });
    expect(lookups).toEqual(['upstream.test']);
  });

  it('surfaces the refusal as the cause of fetch failures', async () => {
    const failure = await fetch(`http://127.0.0.1:${port}/`, { dispatcher: dispatcher() }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect(findTargetForbidden(failure)?.code).toBe('KRX_TARGET_FORBIDDEN');
    expect(findTargetForbidden(new Error('unrelated'))).toBeUndefined();
  });

  it('does not lend sockets opened under one allow-list to a dispatcher without it', async () => {
    const open = dispatcher('127.0.0.1/32');
    expect((await request(`http://127.0.0.1:${port}/`, { dispatcher: open })).statusCode).toBe(200);
    await refusal(() => request(`http://127.0.0.1:${port}/`, { dispatcher: dispatcher() }));
  });

  describe('redirects', () => {
    const redirectTo = (to: string) => `http://127.0.0.1:${port}/start?to=${encodeURIComponent(to)}`;

    it('follows a redirect to an allowed target (control)', async () => {
      const response = await fetch(redirectTo('http://127.0.0.1:PORT/final'), {
        dispatcher: dispatcher('127.0.0.1/32'),
      });
      expect(await response.json()).toEqual({ host: `127.0.0.1:${port}`, path: '/final' });
    });

    it.each(['http://127.0.0.2:PORT/', 'http://[::1]:PORT/', 'http://169.254.169.254/latest/meta-data/'])(
      'refuses a fetch redirect to %s',
      async (to) => {
        await refusal(() => fetch(redirectTo(to), { dispatcher: dispatcher('127.0.0.1/32') }));
      },
    );

    it('refuses a redirect followed by the redirect interceptor', async () => {
      const following = dispatcher('127.0.0.1/32').compose(interceptors.redirect({ maxRedirections: 3 }));
      await refusal(() => request(redirectTo('http://127.0.0.2:PORT/'), { dispatcher: following }));
    });

    it('refuses a redirect to a name resolving to a forbidden address', async () => {
      const resolveHost: ResolveHost = async () => [{ address: '192.168.1.1', family: 4 }];
      await refusal(() =>
        fetch(redirectTo('http://router.test:PORT/'), {
          dispatcher: dispatcher('127.0.0.1/32', resolveHost),
        }),
      );
    });

    it('hands a plain request the 3xx without following it', async () => {
      const response = await request(redirectTo('http://127.0.0.2:PORT/'), {
        dispatcher: dispatcher('127.0.0.1/32'),
      });
      await response.body.dump();
      expect(response.statusCode).toBe(302);
    });
  });
});
