/** The client access check: config rules compiled once into a node:net BlockList, asked once per query. */
import { BlockList, isIP } from 'node:net';
import { HradbaError } from '../errors.js';
import { parseCidr } from './cidr.js';

/** True when a client address may query us. */
export type AccessCheck = (address: string) => boolean;

/** Compiles allow rules (validated CIDRs or addresses) into a predicate; anything unparsable is refused. */
export function compileAcl(allow: readonly string[]): AccessCheck {
  const list = new BlockList();
  allow.forEach((rule, i) => {
    const cidr = parseCidr(rule);
    // The schema has already checked every rule; this guards callers that skip it.
    if ('error' in cidr) throw new HradbaError('HRADBA_ERR_CONFIG', `access.allow[${i}]: ${cidr.error}`);
    if (cidr.prefix === (cidr.family === 'ipv4' ? 32 : 128)) list.addAddress(cidr.address, cidr.family);
    else list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  });
  return (address: string): boolean => {
    const version = isIP(address);
    if (version === 0) return false; // fail closed: a source we cannot read is not one we allow
    try {
      // BlockList checks an IPv4-mapped IPv6 address ('::ffff:192.0.2.1', as a dual-stack socket reports
      // IPv4 clients) against the IPv4 rules, so one rule set serves both kinds of socket.
      return list.check(address, version === 4 ? 'ipv4' : 'ipv6');
    } catch {
      return false;
    }
  };
}
