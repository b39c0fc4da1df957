/**
 * SSRF guard shared by the gateway and outbound webhooks: a tenant-supplied URL must not reach loopback,
 * private, link-local, CGNAT, multicast, reserved or cloud-metadata addresses unless an allow-list opens
 * them.
 *
 * The check happens where the socket is made, on the addresses actually connected to: the guarded
 * dispatcher resolves the name itself, refuses the connection if ANY resolved address is forbidden, and hands
 * exactly the checked addresses to the socket. A DNS answer that changes between check and connect (DNS
 * rebinding) therefore cannot slip through, and every redirect hop that opens a connection through the same
 * dispatcher is checked too. Numeric host forms (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) are
 * normalised to dotted quads by the WHATWG URL parser that undici uses, before any lookup.
 *
 * Allow-lists: the platform's `KRYONIX_DANGEROUS_ALLOWED_NETWORKS` plus the tenant's own list, concatenated
 * by the caller. Use one dispatcher per distinct allow-list (cache it and replace it when the list changes):
 * pooled sockets are reused without a new check, so a dispatcher must never be shared between tenants whose
 * lists differ.
 *
 * Redirects: undici's `request()` does not follow them; `fetch()` does unless `redirect: 'manual'`, and the
 * redirect interceptor can be composed onto the dispatcher. Either way each hop connects through this
 * dispatcher and is checked. Outbound webhooks must not follow redirects at all (issue 5).
 */
import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { KryonixError } from '../platform/errors.js';
import {
  type Cidr,
  type CidrList,
  type IpAddress,
  inCidr,
  parseCidr,
  parseIp,
} from '../platform/net/cidr.js';

export type ForbiddenAddressClass =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'unique-local'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'broadcast'
  | 'cloud-metadata'
  | 'reserved';

export type AddressClass = 'public' | ForbiddenAddressClass;

/** Resolves a host name to all its addresses; `family` 0 means both. Injectable so tests need no DNS. */
export type ResolveHost = (hostname: string, family: 0 | 4 | 6) => Promise<readonly LookupAddress[]>;

export interface GuardOptions {
  /** Networks opened despite their class: the platform list plus the tenant's. Default: none. */
  readonly allowedNetworks?: CidrList;
  /** Default: the system resolver (`dns.lookup` with `all: true`, so /etc/hosts counts as it does for curl). */
  readonly resolveHost?: ResolveHost;
  /** Time for resolving, connecting and the TLS handshake. Default: undici's 10 s. */
  readonly connectTimeoutMs?: number;
}

export interface GuardedDispatcherOptions extends GuardOptions {
  /** Pool tuning (connections, keep-alive, header and body timeouts); the connector is the guard's own. */
  readonly agentOptions?: Omit<Agent.Options, 'connect'>;
}

type AddressRule =
  | { readonly network: Cidr; readonly addressClass: ForbiddenAddressClass }
  /** Prefixes that carry an IPv4 address inside an IPv6 one: the embedded address decides. */
  | { readonly network: Cidr; readonly embeddedIpv4: (address: IpAddress) => IpAddress };

/** IANA special-purpose registries (RFC 6890 and successors) plus the cloud providers' metadata endpoints. */
const IPV4_RULES: ReadonlyArray<readonly [string, ForbiddenAddressClass]> = [
  ['169.254.169.254/32', 'cloud-metadata'], // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
  ['169.254.170.2/32', 'cloud-metadata'], // AWS ECS task credentials
  ['100.100.100.200/32', 'cloud-metadata'], // Alibaba Cloud
  ['192.0.0.192/32', 'cloud-metadata'], // Oracle Cloud Classic
  ['168.63.129.16/32', 'cloud-metadata'], // Azure WireServer: public-looking, reachable only from inside Azure
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/8', 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'], // IETF protocol assignments
  ['192.0.2.0/24', 'reserved'], // documentation
  ['192.88.99.0/24', 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'], // benchmarking
  ['198.51.100.0/24', 'reserved'], // documentation
  ['203.0.113.0/24', 'reserved'], // documentation
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
];

const IPV6_RULES: ReadonlyArray<readonly [string, ForbiddenAddressClass]> = [
  ['fd00:ec2::254/128', 'cloud-metadata'], // AWS IMDS over IPv6
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'reserved'], // local-use NAT64 (RFC 8215): translates into the local network
  ['2001::/32', 'reserved'], // Teredo: tunnels to an IPv4 address we cannot vet
  ['2001:2::/48', 'reserved'], // benchmarking
  ['2001:10::/28', 'reserved'], // deprecated ORCHID
  ['2001:db8::/32', 'reserved'], // documentation
  ['3fff::/20', 'reserved'], // documentation (RFC 9637)
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
];

const EMBEDDING_RULES: ReadonlyArray<readonly [string, (address: IpAddress) => IpAddress]> = [
  ['64:ff9b::/96', (address) => ipv4FromBytes(address.toByteArray(), 12)], // NAT64 well-known prefix
  ['2002::/16', (address) => ipv4FromBytes(address.toByteArray(), 2)], // 6to4
];

/** Everything IANA allocates for global unicast lies here; the rest of the IPv6 space is reserved. */
const IPV6_GLOBAL_UNICAST = parseCidr('2000::/3');

// Most specific first, so 169.254.169.254/32 wins over 169.254.0.0/16.
const RULES: readonly AddressRule[] = [
  ...[...IPV4_RULES, ...IPV6_RULES].map(([text, addressClass]) => ({
    network: parseCidr(text),
    addressClass,
  })),
  ...EMBEDDING_RULES.map(([text, embeddedIpv4]) => ({ network: parseCidr(text), embeddedIpv4 })),
].sort((a, b) => b.network.prefixLength - a.network.prefixLength);

/**
 * The class of an address: 'public' or why it is not. IPv4-mapped IPv6 is classed as its IPv4 address,
 * NAT64 and 6to4 addresses by the IPv4 address they embed. Text that is not an IP address is 'reserved', so
 * anything unexpected fails closed.
 */
export function classifyAddress(ip: string | IpAddress): AddressClass {
  const address = typeof ip === 'string' ? parseIp(ip) : parseIp(ip.toString());
  if (address === undefined) return 'reserved';
  const rule = RULES.find((candidate) => inCidr(address, candidate.network));
  if (rule !== undefined) {
    return 'addressClass' in rule ? rule.addressClass : classifyAddress(rule.embeddedIpv4(address));
  }
  if (address.kind() === 'ipv6' && !inCidr(address, IPV6_GLOBAL_UNICAST)) return 'reserved';
  return 'public';
}

export interface AddressVerdict {
  readonly allowed: boolean;
  readonly addressClass: AddressClass;
}

/**
 * Whether a connection to the address is allowed: public addresses are, others only when an allow-list
 * network holds them. A cloud-metadata address opens only when an entry names exactly that address, so a
 * broad entry such as `0.0.0.0/0` or `169.254.0.0/16` cannot hand out the host's cloud credentials.
 */
export function checkAddress(ip: string | IpAddress, allowedNetworks: CidrList = []): AddressVerdict {
  const addressClass = classifyAddress(ip);
  if (addressClass === 'public') return { allowed: true, addressClass };
  const address = parseIp(ip.toString());
  const allowed =
    address !== undefined &&
    allowedNetworks.some(
      (network) =>
        inCidr(address, network) &&
        (addressClass !== 'cloud-metadata' ||
          network.prefixLength === (address.kind() === 'ipv4' ? 32 : 128)),
    );
  return { allowed, addressClass };
}

/** The error for a refused target: names the class of address, never the address or the resolved name. */
export function targetForbidden(addressClass: AddressClass): KryonixError {
  return new KryonixError(
    'KRX_TARGET_FORBIDDEN',
    `Connections to ${addressClass} addresses are not allowed`,
    { extensions: { addressClass } },
  );
}

/**
 * Early, DNS-free check of a target URL (e.g. when a webhook subscription is saved): http(s) only, and an IP
 * literal host must be allowed. Host names are checked at connect time by the guarded dispatcher.
 */
export function checkTargetUrl(url: string | URL, allowedNetworks: CidrList = []): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    throw new KryonixError('KRX_VALIDATION_FAILED', 'The target is not a valid absolute URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new KryonixError('KRX_VALIDATION_FAILED', 'The target URL must use http or https');
  }
  const literal = parseIp(parsed.hostname);
  if (literal !== undefined) {
    const verdict = checkAddress(literal, allowedNetworks);
    if (!verdict.allowed) throw targetForbidden(verdict.addressClass);
  }
  return parsed;
}

/**
 * An undici connector that refuses forbidden targets before any packet is sent. IP literals are checked
 * directly (Node does not call `lookup` for them); names go through a `lookup` that resolves once, checks
 * every address and returns exactly those to the socket, so Happy Eyeballs still works over them.
 */
export function createGuardedConnector(options: GuardOptions = {}): buildConnector.connector {
  const allowedNetworks = options.allowedNetworks ?? [];
  const connect = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: guardedLookup(allowedNetworks, options.resolveHost ?? resolveWithSystem),
  });
  return (connectOptions, callback) => {
    const literal = parseIp(connectOptions.hostname);
    if (literal !== undefined) {
      const verdict = checkAddress(literal, allowedNetworks);
      if (!verdict.allowed) {
        callback(targetForbidden(verdict.addressClass), null);
        return;
      }
    }
    connect(connectOptions, callback);
  };
}

/**
 * An undici Agent whose every connection passes the guard, e.g.
 * `createGuardedDispatcher({ allowedNetworks: parseCidrList('127.0.0.1/32') })` in tests that call a local
 * upstream. A refused connection fails the request with the KryonixError KRX_TARGET_FORBIDDEN (wrapped as the
 * `cause` of fetch's TypeError; see `findTargetForbidden`).
 */
export function createGuardedDispatcher(options: GuardedDispatcherOptions = {}): Agent {
  return new Agent({ ...options.agentOptions, connect: createGuardedConnector(options) });
}

/** The KRX_TARGET_FORBIDDEN error behind a failed request, if that is why it failed (fetch wraps it). */
export function findTargetForbidden(error: unknown): KryonixError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    if (current instanceof KryonixError && current.code === 'KRX_TARGET_FORBIDDEN') return current;
    current = current.cause;
  }
  return undefined;
}

function guardedLookup(allowedNetworks: CidrList, resolveHost: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname, lookupFamily(options.family)).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`No address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
          return;
        }
        // One forbidden answer refuses the name: otherwise a resolver could mix in an internal address and win
        // whenever the socket happens to pick it.
        for (const { address } of addresses) {
          const verdict = checkAddress(address, allowedNetworks);
          if (!verdict.allowed) {
            callback(targetForbidden(verdict.addressClass), '', 0);
            return;
          }
        }
        if (options.all) callback(null, [...addresses]);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

function lookupFamily(family: number | 'IPv4' | 'IPv6' | undefined): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

function resolveWithSystem(hostname: string, family: 0 | 4 | 6): Promise<readonly LookupAddress[]> {
  return dns.lookup(hostname, { all: true, family });
}

function ipv4FromBytes(bytes: number[], offset: number): IpAddress {
  return parseIp(bytes.slice(offset, offset + 4).join('.'))!;
}
