/** The registrable domain of a name by the Public Suffix List (ICANN section), through the maintained `tldts` package. */
import { parse } from 'tldts';

/** A name split at its registrable domain: 'cdn.tiktokcdn-eu.net' → label 'tiktokcdn-eu', suffix 'net'. */
export interface Registrable {
  /** The registrable domain ('tiktokcdn-eu.net'). */
  readonly domain: string;
  /** Its label left of the public suffix ('tiktokcdn-eu'). */
  readonly label: string;
  /** The public suffix ('net', 'com.cn'). */
  readonly suffix: string;
}

/**
 * registrable returns the name's registrable domain, or null for a public suffix itself, an address or a name
 * under no known suffix. Only the ICANN section counts: private suffixes (akamaized.net, web.app) are shared
 * services, and a name under them belongs to the service's operator, not to its tenant.
 */
export function registrable(name: string): Registrable | null {
  const p = parse(name, { allowPrivateDomains: false, detectIp: true, validateHostname: false });
  if (p.isIp === true || p.domain === null || p.domainWithoutSuffix === null || p.publicSuffix === null || p.isIcann !== true) return null;
  return { domain: p.domain, label: p.domainWithoutSuffix, suffix: p.publicSuffix };
}
