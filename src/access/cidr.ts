/** One access rule as written in config: an address/prefix network or a single address, checked against its family. */
import { isIP } from 'node:net';

export interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

const PREFIX = /^\d{1,3}$/;

/** Parses '10.0.0.0/8', 'fc00::/7' or a plain address (a /32 or /128); returns the rule or what is wrong with it. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  if (address.includes('%')) return { error: `'${text}': a zone index ('%...') is not allowed in access rules` };
  const version = isIP(address);
  if (version === 0) return { error: `'${text}' is not an IP address or network (write e.g. 10.0.0.0/8, fc00::/7 or 192.0.2.1)` };
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: max, family };
  const prefixText = text.slice(slash + 1);
  const prefix = PREFIX.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) {
    return { error: `'${text}': the prefix length must be 0 to ${max} for an IPv${version} network` };
  }
  return { address, prefix, family };
}
