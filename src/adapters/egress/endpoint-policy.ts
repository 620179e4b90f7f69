import { BlockList, isIP } from 'node:net';

/**
 * Which addresses a tenant's endpoint (a kubeconfig's server, a Helm
 * repository, an OCI registry) may resolve to. Everything a tenant names is
 * hostile: by default nothing on this machine or its private networks is
 * reachable — loopback, link-local (the clouds' metadata service at
 * 169.254.169.254), unspecified, private, shared, multicast and reserved
 * ranges. The operator allows more with FLOTILLA_ALLOWED_ENDPOINTS.
 */
const REFUSED: readonly [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network", unspecified
  ['10.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // shared address space (carrier NAT; some clouds' metadata)
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.0.0.0', 24, 'ipv4'],
  ['192.0.2.0', 24, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'],
  ['198.51.100.0', 24, 'ipv4'],
  ['203.0.113.0', 24, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, and the broadcast address
  ['::', 128, 'ipv6'],
  ['::1', 128, 'ipv6'],
  ['64:ff9b::', 96, 'ipv6'], // NAT64: an IPv4 address in disguise
  ['100::', 64, 'ipv6'],
  ['2001:db8::', 32, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
  ['ff00::', 8, 'ipv6'],
];

/** What `npm start` allows on its own: its local KWOK clusters and anything imported from them listen on loopback. */
export const LOOPBACK_ENDPOINTS = '127.0.0.0/8,::1';

export class EndpointPolicy {
  private readonly refused = new BlockList();
  private readonly allowed = new BlockList();
  private readonly allowedHosts = new Set<string>();

  /** `allow`: the operator's list — CIDRs, addresses and host names, comma-separated. */
  constructor(allow = '') {
    for (const [address, prefix, family] of REFUSED) this.refused.addSubnet(address, prefix, family);
    for (const entry of allow.split(',').map((e) => e.trim()).filter(Boolean)) {
      const [address, prefix] = entry.split('/') as [string, string | undefined];
      const family = isIP(address);
      if (family) {
        const bits = prefix === undefined ? (family === 4 ? 32 : 128) : Number(prefix);
        if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) throw new Error(`FLOTILLA_ALLOWED_ENDPOINTS: '${entry}' is not a CIDR`);
        this.allowed.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
      } else if (prefix === undefined && /^[a-z0-9.-]+$/i.test(entry)) {
        this.allowedHosts.add(entry.toLowerCase().replace(/\.$/, ''));
      } else {
        throw new Error(`FLOTILLA_ALLOWED_ENDPOINTS: '${entry}' is neither a CIDR, an address nor a host name`);
      }
    }
  }

  /** A host name the operator allowed, whatever it resolves to. */
  allowsHost(host: string): boolean {
    return this.allowedHosts.has(host.toLowerCase().replace(/\.$/, ''));
  }

  /** Whether a resolved address may be dialled. */
  allowsAddress(address: string): boolean {
    const [ip, family] = normalise(address);
    if (!family) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.allowed.check(ip, type) || !this.refused.check(ip, type);
  }
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is the IPv4 address it carries; brackets and zones are not part of it. */
function normalise(address: string): [string, number] {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return [mapped[1]!, 4];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
  if (hex) {
    const high = parseInt(hex[1]!, 16);
    const low = parseInt(hex[2]!, 16);
    return [`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, 4];
  }
  return [bare, isIP(bare)];
}
