import { describe, expect, it } from 'vitest';
import { parseCidrList } from './cidr.js';
import { clientIp } from './client-ip.js';

const proxies = parseCidrList('10.0.0.0/8, fd00::/8');

describe('clientIp', () => {
  it('is the peer when no proxy is trusted, whatever the header says', () => {
    expect(clientIp('203.0.113.9', '1.1.1.1', [])).toBe('203.0.113.9');
  });

  it('ignores the header when the peer is not a trusted proxy', () => {
    expect(clientIp('203.0.113.9', '10.0.0.1, 198.51.100.1', proxies)).toBe('203.0.113.9');
  });

  it('believes the entry a trusted proxy appended', () => {
    expect(clientIp('10.0.0.5', '198.51.100.7', proxies)).toBe('198.51.100.7');
  });

  it('walks right to left past trusted hops and stops at the first untrusted one', () => {
    // The client forged 6.6.6.6; our two proxies appended the real client and the first proxy.
    expect(clientIp('10.0.0.5', '6.6.6.6, 198.51.100.7, 10.0.0.9', proxies)).toBe('198.51.100.7');
  });

  it('gives the furthest address when every hop is trusted', () => {
    expect(clientIp('10.0.0.5', '10.1.1.1, 10.0.0.9', proxies)).toBe('10.1.1.1');
  });

  it('stops at the last hop it can vouch for when an entry is unreadable', () => {
    expect(clientIp('10.0.0.5', '198.51.100.7, garbage, 10.0.0.9', proxies)).toBe('10.0.0.9');
    expect(clientIp('10.0.0.5', '198.51.100.7,, 10.0.0.9', proxies)).toBe('10.0.0.9');
    expect(clientIp('10.0.0.5', 'unknown', proxies)).toBe('10.0.0.5');
  });

  it('joins repeated header lines in order', () => {
    expect(clientIp('10.0.0.5', ['6.6.6.6', '198.51.100.7, 10.0.0.9'], proxies)).toBe('198.51.100.7');
  });

  it('treats an empty header as no information', () => {
    expect(clientIp('10.0.0.5', '', proxies)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', undefined, proxies)).toBe('10.0.0.5');
  });

  it('handles IPv6 peers and hops, with brackets and ports', () => {
    expect(clientIp('fd00::1', '2001:db8::7', proxies)).toBe('2001:db8::7');
    expect(clientIp('fd00::1', '[2001:db8::7]:4711', proxies)).toBe('2001:db8::7');
    expect(clientIp('fd00::1', '198.51.100.7:4711', proxies)).toBe('198.51.100.7');
  });

  it('matches an IPv4-mapped peer (dual-stack sockets) against IPv4 proxy networks', () => {
    expect(clientIp('::ffff:10.0.0.5', '198.51.100.7', proxies)).toBe('198.51.100.7');
    expect(clientIp('::ffff:203.0.113.9', '198.51.100.7', proxies)).toBe('203.0.113.9');
  });

  it('returns canonical text', () => {
    expect(clientIp('10.0.0.5', '2001:DB8:0:0::7', proxies)).toBe('2001:db8::7');
  });

  it('is undefined when the peer is unknown or not an IP address', () => {
    expect(clientIp(undefined, '198.51.100.7', proxies)).toBeUndefined();
    expect(clientIp('/run/kryonix.sock', '198.51.100.7', proxies)).toBeUndefined();
  });
});
