/**
 * The SSRF guard for connectors that open their own sockets (databases, SMTP, SFTP, gRPC): a host is
 * resolved once, every address is checked against the guard and the allow-lists, and the driver is
 * given the checked address, so a DNS answer that changes later cannot redirect it.
 */
import { promises as dns } from 'node:dns';
import { checkAddress, targetForbidden } from '../gateway/ssrf.js';
import { KryonixError } from '../platform/errors.js';
import type { CidrList } from '../platform/net/cidr.js';

export type ResolveTarget = (host: string) => Promise<string>;

export function createTargetResolver(allowedNetworks: CidrList): ResolveTarget {
  return async (host) => {
    let addresses: { address: string }[];
    try {
      addresses = await dns.lookup(host, { all: true });
    } catch (error) {
      throw new KryonixError('KRX_UPSTREAM_UNREACHABLE', `the host ${host} does not resolve`, {
        cause: error,
      });
    }
    for (const { address } of addresses) {
      const verdict = checkAddress(address, allowedNetworks);
      if (!verdict.allowed) throw targetForbidden(verdict.addressClass);
    }
    if (addresses.length === 0)
      throw new KryonixError('KRX_UPSTREAM_UNREACHABLE', `the host ${host} has no address`);
    return addresses[0].address;
  };
}
