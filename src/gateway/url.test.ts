import { describe, expect, it } from 'vitest';
import { buildUpstreamUrl } from './url.js';

const base = new URL('https://api.example.com/v1/');

describe('buildUpstreamUrl', () => {
  it('joins paths under the base and encodes query values', () => {
    expect(
      buildUpstreamUrl(base, { endpoint: '/users/42', query: { q: 'a b&c=d', tag: ['x', 'y'] } }).href,
    ).toBe('https://api.example.com/v1/users/42?q=a+b%26c%3Dd&tag=x&tag=y');
    expect(buildUpstreamUrl(base, { endpoint: 'users?page=2', query: { size: 10 } }).href).toBe(
      'https://api.example.com/v1/users?page=2&size=10',
    );
    expect(buildUpstreamUrl(new URL('https://h.test/api?key=1'), { endpoint: '' }).href).toBe(
      'https://h.test/api?key=1',
    );
    expect(buildUpstreamUrl(base, { endpoint: '/files/a%20b' }).pathname).toBe('/v1/files/a%20b');
  });

  it("keeps the base's credentials and query, and drops its fragment and trailing slashes", () => {
    const odd = new URL('https://u:p@h.test/api//?k=1#frag');
    expect(buildUpstreamUrl(odd, { endpoint: '/a' }).href).toBe('https://u:p@h.test/api/a?k=1');
    expect(buildUpstreamUrl(odd, { endpoint: '' }).href).toBe('https://u:p@h.test/api?k=1');
    expect(buildUpstreamUrl(odd, { endpoint: '/a?x=1' }).href).toBe('https://u:p@h.test/api/a?x=1');
    expect(buildUpstreamUrl(new URL('http://[::1]:8080'), { endpoint: '' }).href).toBe('http://[::1]:8080/');
  });

  it.each([
    'https://evil.test/x',
    '//evil.test/x',
    'javascript:alert(1)',
    '/../admin',
    '/users/../../admin',
    '/%2e%2e/admin',
    '/users/%2E%2E%2fadmin',
    '/a%2fb',
    '/a\\b',
    '/x#frag',
    '/bad%zz',
    '/new\nline',
  ])('refuses %s', (endpoint) => {
    expect(() => buildUpstreamUrl(base, { endpoint })).toThrow(
      expect.objectContaining({ code: 'KRX_VALIDATION_FAILED' }),
    );
  });

  it('never changes the host', () => {
    for (const endpoint of ['@evil.test/x', '/@evil.test', ':443@evil.test']) {
      expect(buildUpstreamUrl(base, { endpoint }).host).toBe('api.example.com');
    }
  });
});
