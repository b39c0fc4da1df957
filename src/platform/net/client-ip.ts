/**
 * The address of the client that made a request, for source allow-lists and rate-limit keys.
 * X-Forwarded-For is written by the client as much as by proxies, so it is believed only hop by hop: each
 * proxy appends the address of its own peer, and only an entry appended by a trusted proxy says who that
 * proxy's peer was. Walking right to left, the first hop that is not a trusted proxy is the client.
 */
import { type CidrList, type IpAddress, ipInList, parseIp } from './cidr.js';

/**
 * @param remoteAddress the socket's peer (`request.socket.remoteAddress`); undefined once it is gone
 * @param xForwardedFor the X-Forwarded-For header value(s), if any
 * @param trustedProxies networks of the proxies in front of us; an empty list trusts no header at all
 * @returns the client's canonical address, or undefined when the peer itself is not an IP address
 */
export function clientIp(
  remoteAddress: string | undefined,
  xForwardedFor: string | readonly string[] | undefined,
  trustedProxies: CidrList,
): string | undefined {
  const peer = remoteAddress === undefined ? undefined : parsePeer(remoteAddress);
  if (peer === undefined) return undefined;
  if (xForwardedFor === undefined || !ipInList(peer.ip, trustedProxies)) return peer.text;
  let client = peer.ip;
  const hops = (typeof xForwardedFor === 'string' ? [xForwardedFor] : xForwardedFor).flatMap((value) =>
    value.split(','),
  );
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = parseForwardedHop(hops[index]);
    // An entry we cannot read was not written by a proxy we trust: the last address we could vouch for is
    // the furthest we may go.
    if (hop === undefined) break;
    client = hop;
    if (!ipInList(hop, trustedProxies)) break;
  }
  return client.toString();
}

/**
 * Peers repeat (keep-alive connections, a few proxies or senders) and parsing is most of what this costs
 * on every request, so recent ones are remembered; the bound keeps a scan of many addresses harmless.
 */
const recentPeers = new Map<string, { ip: IpAddress; text: string } | null>();

function parsePeer(remoteAddress: string): { ip: IpAddress; text: string } | undefined {
  let peer = recentPeers.get(remoteAddress);
  if (peer === undefined) {
    const ip = parseIp(remoteAddress);
    peer = ip === undefined ? null : { ip, text: ip.toString() };
    if (recentPeers.size >= 1024) recentPeers.clear();
    recentPeers.set(remoteAddress, peer);
  }
  return peer ?? undefined;
}

/** One X-Forwarded-For entry: an address, `[v6]`, `[v6]:port` or `v4:port` (some proxies add the port). */
function parseForwardedHop(entry: string): IpAddress | undefined {
  const trimmed = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(trimmed);
  if (bracketed) return parseIp(bracketed[1]);
  const ipv4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(trimmed);
  return parseIp(ipv4WithPort ? ipv4WithPort[1] : trimmed);
}
