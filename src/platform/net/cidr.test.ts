import { describe, expect, it } from 'vitest';
import { KryonixError } from '../errors.js';
import { ipInList, normalizeIp, parseCidr, parseCidrList, parseIp } from './cidr.js';

describe('parseIp', () => {
  it('parses dotted-quad IPv4 and IPv6, with or without brackets', () => {
    expect(parseIp('192.168.1.10')?.toString()).toBe('192.168.1.10');
    expect(parseIp('2001:db8::1')?.toString()).toBe('2001:db8::1');
    expect(parseIp('[2001:db8::1]')?.toString()).toBe('2001:db8::1');
    expect(parseIp('2001:0DB8:0000::0001')?.toString()).toBe('2001:db8::1');
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address, in both notations', () => {
    expect(parseIp('::ffff:127.0.0.1')?.kind()).toBe('ipv4');
    expect(parseIp('::ffff:127.0.0.1')?.toString()).toBe('127.0.0.1');
    expect(parseIp('::ffff:7f00:1')?.toString()).toBe('127.0.0.1');
    expect(parseIp('[::ffff:10.1.2.3]')?.toString()).toBe('10.1.2.3');
  });

  it.each([
    ['octal', '0177.0.0.1'],
    ['leading zero', '010.0.0.1'],
    ['hex', '0x7f000001'],
    ['dotted hex', '0x7f.0.0.1'],
    ['32-bit decimal', '2130706433'],
    ['short form', '127.1'],
    ['octet out of range', '256.1.1.1'],
    ['octal inside mapped IPv6', '::ffff:0177.0.0.1'],
    ['host name', 'localhost'],
    ['surrounding space', ' 1.2.3.4'],
    ['empty', ''],
  ])('refuses the %s form %j instead of guessing', (_form, text) => {
    expect(parseIp(text)).toBeUndefined();
  });

  it('normalizeIp gives canonical text', () => {
    expect(normalizeIp('::FFFF:192.0.2.1')).toBe('192.0.2.1');
    expect(normalizeIp('2001:db8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(normalizeIp('nope')).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('parses networks and bare addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ prefixLength: 8, text: '10.0.0.0/8' });
    expect(parseCidr(' 192.168.0.0/16 ').text).toBe('192.168.0.0/16');
    expect(parseCidr('1.2.3.4').text).toBe('1.2.3.4/32');
    expect(parseCidr('::1').text).toBe('::1/128');
    expect(parseCidr('fc00::/7').text).toBe('fc00::/7');
    expect(parseCidr('0.0.0.0/0').text).toBe('0.0.0.0/0');
  });

  it('turns IPv4-mapped IPv6 networks into IPv4 networks', () => {
    expect(parseCidr('::ffff:10.0.0.0/104').text).toBe('10.0.0.0/8');
    expect(parseCidr('::ffff:127.0.0.1').text).toBe('127.0.0.1/32');
  });

  it.each([
    ['10.0.0.0/33', 'prefix length'],
    ['::/129', 'prefix length'],
    ['10.0.0.0/-1', 'prefix length'],
    ['10.0.0.0/8a', 'prefix length'],
    ['10.0.0.0/', 'prefix length'],
    ['10.0.0.0/8/8', 'more than one'],
    ['10.1.2.3/8', 'host bits are set; write 10.0.0.0/8 or 10.1.2.3/32'],
    ['fe80::1%eth0/64', 'zone'],
    ['0177.0.0.1/32', 'not an IPv4'],
    ['/8', 'not an IPv4'],
    ['example.com/24', 'not an IPv4'],
  ])('refuses %j, saying why', (entry, reason) => {
    expect(() => parseCidr(entry)).toThrow(reason);
  });
});

describe('parseCidrList', () => {
  it('parses a comma-separated list with spaces and blank entries', () => {
    const list = parseCidrList('10.0.0.0/8, ::1/128,,  192.168.1.1 ,');
    expect(list.map((cidr) => cidr.text)).toEqual(['10.0.0.0/8', '::1/128', '192.168.1.1/32']);
    expect(Object.isFrozen(list)).toBe(true);
  });

  it('accepts an array and an empty value', () => {
    expect(parseCidrList(['127.0.0.1/32', 'fd00::/8']).map((cidr) => cidr.text)).toEqual([
      '127.0.0.1/32',
      'fd00::/8',
    ]);
    expect(parseCidrList('')).toEqual([]);
    expect(parseCidrList('  ')).toEqual([]);
  });

  it('fails with KRX_VALIDATION_FAILED naming the bad entry', () => {
    let error: unknown;
    try {
      parseCidrList('10.0.0.0/8, 300.1.1.1/32, ::1/128');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KryonixError);
    expect((error as KryonixError).code).toBe('KRX_VALIDATION_FAILED');
    expect((error as KryonixError).status).toBe(400);
    expect((error as KryonixError).message).toContain('"300.1.1.1/32"');
    expect((error as KryonixError).extensions).toEqual({ invalidEntry: '300.1.1.1/32' });
  });

  it('does not echo an enormous entry back in full', () => {
    const entry = `1.2.3.4/${'9'.repeat(500)}`;
    expect(() => parseCidrList(entry)).toThrow(KryonixError);
    try {
      parseCidrList(entry);
    } catch (error) {
      expect((error as KryonixError).message.length).toBeLessThan(250);
    }
  });
});

describe('ipInList', () => {
  const list = parseCidrList('10.0.0.0/8, 192.168.1.0/24, 2001:db8::/32, 127.0.0.1/32');

  it('matches IPv4 and IPv6 addresses at the network edges', () => {
    expect(ipInList('10.0.0.0', list)).toBe(true);
    expect(ipInList('10.255.255.255', list)).toBe(true);
    expect(ipInList('11.0.0.0', list)).toBe(false);
    expect(ipInList('9.255.255.255', list)).toBe(false);
    expect(ipInList('192.168.1.255', list)).toBe(true);
    expect(ipInList('192.168.2.0', list)).toBe(false);
    expect(ipInList('2001:db8:ffff::1', list)).toBe(true);
    expect(ipInList('2001:db9::1', list)).toBe(false);
  });

  it('matches IPv4-mapped IPv6 addresses against IPv4 networks', () => {
    expect(ipInList('::ffff:127.0.0.1', list)).toBe(true);
    expect(ipInList('::ffff:10.9.8.7', list)).toBe(true);
    expect(ipInList('::ffff:127.0.0.2', list)).toBe(false);
    expect(ipInList(parseIp('::ffff:a00:1')!, list)).toBe(true);
  });

  it('never matches across families or for text that is not an address', () => {
    const everyIpv6 = parseCidrList('::/0');
    expect(ipInList('127.0.0.1', everyIpv6)).toBe(false);
    expect(ipInList('::1', parseCidrList('0.0.0.0/0'))).toBe(false);
    expect(ipInList('0x0a000001', list)).toBe(false);
    expect(ipInList('localhost', list)).toBe(false);
    expect(ipInList('10.0.0.1', [])).toBe(false);
  });

  it('honours any prefix length, including /0 and odd ones', () => {
    expect(ipInList('203.0.113.7', parseCidrList('0.0.0.0/0'))).toBe(true);
    expect(ipInList('172.31.255.255', parseCidrList('172.16.0.0/12'))).toBe(true);
    expect(ipInList('172.32.0.0', parseCidrList('172.16.0.0/12'))).toBe(false);
    expect(ipInList('fe80::1%eth0', parseCidrList('fe80::/10'))).toBe(true);
  });
});

describe('IPv4-compatible IPv6 (deprecated)', () => {
  it('is not confused with IPv4-mapped', () => {
    expect(parseIp('::127.0.0.1')?.toString()).toBe('::7f00:1');
    expect(ipInList('::127.0.0.1', parseCidrList('127.0.0.1/32'))).toBe(false);
    expect(parseIp('64:ff9b::10.0.0.1')?.toString()).toBe('64:ff9b::a00:1');
    expect(parseCidr('::ffff:10.0.0.0/104').text).toBe('10.0.0.0/8');
  });
});
