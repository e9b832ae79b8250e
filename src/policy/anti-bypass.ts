/**
 * Anti-bypass: names a client asks to find out whether it may go around the resolver (its own
 * DNS-over-HTTPS, a relay, a designated encrypted resolver). Answering them negatively keeps clients on
 * hradba; each hit is logged as a bypass attempt. The names are protocol signals, not vendors: each is
 * defined by the protocol or product that reads it.
 */
import type { Config } from '../config/types.js';
import { DomainTrie } from './domain-trie.js';

/** One anti-bypass signal. */
export interface BypassRule {
  /** Config switch (antiBypass.<key>) that enables it. */
  readonly key: 'firefoxCanary' | 'icloudPrivateRelay' | 'ddr';
  /** The name answered (and, unless exact, every name below it). */
  readonly domain: string;
  readonly exact: boolean;
  /** The answer clients get: NXDOMAIN says "no", NODATA says "nothing here" (RFC 9462 §6.2 for DDR). */
  readonly answer: 'nxdomain' | 'nodata';
  /** Where the signal is defined, for `explain` and the log. */
  readonly why: string;
}

/** Every signal hradba knows, switchable per key. */
export const BYPASS_RULES: readonly BypassRule[] = Object.freeze([
  { key: 'firefoxCanary', domain: 'use-application-dns.net', exact: true, answer: 'nxdomain', why: "Firefox's canary domain: NXDOMAIN keeps its DNS-over-HTTPS off" },
  { key: 'icloudPrivateRelay', domain: 'mask.icloud.com', exact: true, answer: 'nxdomain', why: 'iCloud Private Relay: NXDOMAIN tells devices the network does not allow it' },
  { key: 'icloudPrivateRelay', domain: 'mask-h2.icloud.com', exact: true, answer: 'nxdomain', why: 'iCloud Private Relay (HTTP/2 fallback)' },
  { key: 'ddr', domain: 'resolver.arpa', exact: false, answer: 'nodata', why: 'RFC 9462 discovery of designated resolvers: NODATA means none' },
] satisfies BypassRule[]);

/** compileAntiBypass puts the enabled signals in a trie (empty when all are off). */
export function compileAntiBypass(cfg: Config['antiBypass']): DomainTrie<BypassRule> {
  const trie = new DomainTrie<BypassRule>();
  for (const rule of BYPASS_RULES) if (cfg[rule.key]) trie.add(rule.domain, rule.exact, rule);
  return trie;
}
