/**
 * IP addresses and CIDR lists, IPv4 and IPv6, shared by webhook source allow-lists, trusted proxies and the
 * SSRF guard. Parsing is strict: only dotted-quad IPv4 and standard IPv6 text are addresses, so an entry such
 * as `0177.0.0.1` (octal to some parsers, decimal to others) is refused rather than guessed at. An
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is the IPv4 address it maps: that is where a socket to it
 * goes, so lists and checks must see it as such.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { KryonixError } from '../errors.js';

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  /** Network address (host bits zero); IPv4 for IPv4-mapped IPv6 networks. */
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `fc00::/7`. */
  readonly text: string;
}

export type CidrList = readonly Cidr[];

const MAPPED_IPV4_PREFIX_LENGTH = 96;
const MAX_ECHOED_ENTRY_LENGTH = 100;

/**
 * Parses an IP address strictly; `[v6]` brackets are accepted. IPv4-mapped IPv6 becomes IPv4. Returns
 * undefined for anything else, including numeric IPv4 forms other than dotted quad.
 */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // node:net's isIP is strict (no octal, hex, short or 32-bit integer forms); ipaddr.js alone is not.
  if (isIP(bare) === 0) return undefined;
  return unmapIpv4(parseValidIp(bare));
}

/** Canonical text of an address (IPv4 dotted quad, IPv6 RFC 5952), or undefined if it is not one. */
export function normalizeIp(text: string): string | undefined {
  return parseIp(text)?.toString();
}

/** Parses one network: `10.0.0.0/8`, `::1/128`, or a bare address meaning just that address. */
export function parseCidr(entry: string): Cidr {
  const trimmed = entry.trim();
  const [addressText, prefixText, ...extra] = trimmed.split('/');
  if (extra.length > 0) throw invalidEntry(entry, 'more than one "/"');
  if (addressText.includes('%')) throw invalidEntry(entry, 'an IPv6 zone is not allowed in a network');
  if (isIP(addressText) === 0) throw invalidEntry(entry, 'not an IPv4 (dotted quad) or IPv6 address');
  const address = parseValidIp(addressText);
  const maxLength = address.kind() === 'ipv4' ? 32 : 128;
  let prefixLength = maxLength;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxLength) {
      throw invalidEntry(entry, `the prefix length must be a whole number from 0 to ${maxLength}`);
    }
    prefixLength = Number(prefixText);
  }
  const network = networkAddress(address, prefixLength);
  if (network.toString() !== address.toString()) {
    // A typo such as 10.1.2.3/8 for /32 would silently open a whole /8: make the author choose.
    throw invalidEntry(
      entry,
      `host bits are set; write ${network.toString()}/${prefixLength} or ${address.toString()}/${maxLength}`,
    );
  }
  if (
    network instanceof ipaddr.IPv6 &&
    network.isIPv4MappedAddress() &&
    prefixLength >= MAPPED_IPV4_PREFIX_LENGTH
  ) {
    return makeCidr(network.toIPv4Address(), prefixLength - MAPPED_IPV4_PREFIX_LENGTH);
  }
  return makeCidr(network, prefixLength);
}

/**
 * Parses a comma-separated list (the form of `KRYONIX_DANGEROUS_ALLOWED_NETWORKS`) or an array of entries.
 * Blank entries are ignored; a bad entry fails the whole list with KRX_VALIDATION_FAILED naming it.
 */
export function parseCidrList(input: string | readonly string[]): CidrList {
  const entries = typeof input === 'string' ? input.split(',') : input;
  return Object.freeze(entries.filter((entry) => entry.trim() !== '').map(parseCidr));
}

/** Whether the address lies in any network of the list. Text that is not an address is in no list. */
export function ipInList(ip: string | IpAddress, list: CidrList): boolean {
  const address = typeof ip === 'string' ? parseIp(ip) : unmapIpv4(ip);
  if (address === undefined) return false;
  return list.some((cidr) => inCidr(address, cidr));
}

export function inCidr(address: IpAddress, cidr: Cidr): boolean {
  // ipaddr.js throws when the kinds differ; an IPv4 address is simply not in an IPv6 network.
  return address.kind() === cidr.address.kind() && address.match(cidr.address, cidr.prefixLength);
}

/**
 * ipaddr.js reads the deprecated IPv4-compatible `::1.2.3.4` as IPv4-mapped `::ffff:1.2.3.4`; RFC 4291 makes
 * it `::102:304`, another address. Spelling an IPv6 address's dotted tail in hex avoids that misreading.
 */
function parseValidIp(text: string): IpAddress {
  const hexTail = text.replace(
    /:(\d+)\.(\d+)\.(\d+)\.(\d+)(%.*)?$/,
    (_match, a: string, b: string, c: string, d: string, zone = '') =>
      `:${hexGroup(a, b)}:${hexGroup(c, d)}${zone}`,
  );
  return ipaddr.parse(hexTail);
}

function hexGroup(high: string, low: string): string {
  return ((Number(high) << 8) | Number(low)).toString(16);
}

function unmapIpv4(address: IpAddress): IpAddress {
  return address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() ? address.toIPv4Address() : address;
}

function networkAddress(address: IpAddress, prefixLength: number): IpAddress {
  const bytes = address.toByteArray();
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes);
}

function makeCidr(address: IpAddress, prefixLength: number): Cidr {
  return Object.freeze({ address, prefixLength, text: `${address.toString()}/${prefixLength}` });
}

function invalidEntry(entry: string, reason: string): KryonixError {
  const shown =
    entry.length > MAX_ECHOED_ENTRY_LENGTH ? `${entry.slice(0, MAX_ECHOED_ENTRY_LENGTH)}...` : entry.trim();
  return new KryonixError('KRX_VALIDATION_FAILED', `Invalid network "${shown}": ${reason}`, {
    extensions: { invalidEntry: shown },
  });
}
