/**
 * The client access check: config rules compiled once into one node:net BlockList per address family, asked on
 * every TCP accept and every query. An IPv4 client (also one seen as an IPv4-mapped IPv6 address) is judged by the
 * IPv4 rules alone and an IPv6 client by the IPv6 rules alone, so `::/0` never admits an IPv4 client.
 */
import { BlockList, isIP } from 'node:net';
import { ipv6Bytes } from '../dns/address-bytes.js';
import { HradbaError } from '../errors.js';
import { parseCidr, type Cidr } from './cidr.js';

/** True when a client address may query us. */
export type AccessCheck = (address: string) => boolean;

/**
 * Verdicts remembered per address text: a resolver's clients are few and ask again and again, and a Map lookup of
 * the short address string costs a fraction of the address parse and BlockList walk it spares. Bounded (cleared when
 * full), so a stream of forged sources costs lookups, never memory. A reload compiles a new check with an empty cache.
 */
const VERDICT_CACHE_LIMIT = 65_536;

/**
 * The IPv4 rule an IPv6 rule inside ::ffff:0:0/96 spells (how a dual-stack socket writes IPv4 clients), else the
 * rule itself: '::ffff:192.0.2.0/120' is the IPv4 network 192.0.2.0/24.
 */
export function familyRule(cidr: Cidr): Cidr {
  if (cidr.family === 'ipv4' || cidr.prefix < 96) return cidr;
  const v4 = mappedIpv4(cidr.address);
  return v4 === null ? cidr : { address: v4, prefix: cidr.prefix - 96, family: 'ipv4' };
}

/** The dotted IPv4 address inside an IPv4-mapped IPv6 address ('::ffff:7f00:1' → '127.0.0.1'), else null. */
function mappedIpv4(address: string): string | null {
  const bytes = ipv6Bytes(address);
  if (bytes === null) return null;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return null;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return null;
  return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
}

/** The rules (as written) that admit every client of one family: `0.0.0.0/0`, `::/0` and their spellings. */
export function everyClientRules(allow: readonly string[]): { rule: string; family: 'ipv4' | 'ipv6' }[] {
  const out: { rule: string; family: 'ipv4' | 'ipv6' }[] = [];
  for (const rule of allow) {
    const cidr = parseCidr(rule);
    if ('error' in cidr) continue;
    const { family, prefix } = familyRule(cidr);
    if (prefix === 0) out.push({ rule, family });
  }
  return out;
}

/** Compiles allow rules (validated CIDRs or addresses) into a predicate; anything unparsable is refused. */
export function compileAcl(allow: readonly string[]): AccessCheck {
  const v4 = new BlockList();
  const v6 = new BlockList();
  allow.forEach((rule, i) => {
    const parsed = parseCidr(rule);
    // The schema has already checked every rule; this guards callers that skip it.
    if ('error' in parsed) throw new HradbaError('HRADBA_ERR_CONFIG', `access.allow[${i}]: ${parsed.error}`);
    const cidr = familyRule(parsed);
    const list = cidr.family === 'ipv4' ? v4 : v6;
    if (cidr.prefix === (cidr.family === 'ipv4' ? 32 : 128)) list.addAddress(cidr.address, cidr.family);
    else list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  });
  const judge = (address: string): boolean => {
    const version = isIP(address);
    if (version === 0) return false; // fail closed: a source we cannot read is not one we allow
    try {
      if (version === 4) return v4.check(address, 'ipv4');
      // A dual-stack socket reports IPv4 clients as '::ffff:192.0.2.1': they are IPv4 clients, judged as such.
      const mapped = address.includes('.') || /^[0:]*:ffff:/i.test(address) ? mappedIpv4(address) : null;
      return mapped === null ? v6.check(address, 'ipv6') : v4.check(mapped, 'ipv4');
    } catch {
      return false;
    }
  };
  const verdicts = new Map<string, boolean>();
  return (address: string): boolean => {
    let allowed = verdicts.get(address);
    if (allowed === undefined) {
      allowed = judge(address);
      if (verdicts.size >= VERDICT_CACHE_LIMIT) verdicts.clear();
      verdicts.set(address, allowed);
    }
    return allowed;
  };
}
