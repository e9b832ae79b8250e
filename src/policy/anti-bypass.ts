/**
 * Anti-bypass: names a client asks to find out whether it may go around the resolver (its own
 * DNS-over-HTTPS, a relay, a designated encrypted resolver), and the host names of public encrypted
 * resolvers. Answering them negatively keeps clients on hradba; each hit is logged as a bypass attempt.
 * The signal names are defined by the protocol or product that reads them; the resolver names are data
 * (blocklists/anti-bypass/doh-providers.txt).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { normalizeDomain } from './domain-name.js';
import { DomainTrie } from './domain-trie.js';

/** One anti-bypass rule. */
export interface BypassRule {
  /** Config switch (antiBypass.<key>) that enables it. */
  readonly key: 'firefoxCanary' | 'icloudPrivateRelay' | 'ddr' | 'dohProviders';
  /** The name answered (and, unless exact, every name below it). */
  readonly domain: string;
  readonly exact: boolean;
  /** The answer clients get: NXDOMAIN says "no", NODATA says "nothing here" (RFC 9462 §6.2 for DDR). */
  readonly answer: 'nxdomain' | 'nodata';
  /** Where the signal is defined, for `explain` and the log. */
  readonly why: string;
}

/** The protocol signals hradba knows, switchable per key. */
export const BYPASS_RULES: readonly BypassRule[] = Object.freeze([
  { key: 'firefoxCanary', domain: 'use-application-dns.net', exact: true, answer: 'nxdomain', why: "Firefox's canary domain: NXDOMAIN keeps its DNS-over-HTTPS off" },
  { key: 'icloudPrivateRelay', domain: 'mask.icloud.com', exact: true, answer: 'nxdomain', why: 'iCloud Private Relay: NXDOMAIN tells devices the network does not allow it' },
  { key: 'icloudPrivateRelay', domain: 'mask-h2.icloud.com', exact: true, answer: 'nxdomain', why: 'iCloud Private Relay (HTTP/2 fallback)' },
  { key: 'ddr', domain: 'resolver.arpa', exact: false, answer: 'nodata', why: 'RFC 9462 discovery of designated resolvers: NODATA means none' },
] satisfies BypassRule[]);

/** The shipped list of public DNS-over-HTTPS/TLS resolver names. */
export const DOH_PROVIDERS_FILE: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../blocklists/anti-bypass/doh-providers.txt');

/** dohProviderRules reads the resolver names (one per line, '#' comments); HRADBA_ERR_LIST names file:line of a bad one. */
export function dohProviderRules(file: string = DOH_PROVIDERS_FILE): BypassRule[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HradbaError('HRADBA_ERR_LIST', `${file}: cannot read the DNS-over-HTTPS resolver list (antiBypass.dohProviders)`, { cause: err });
  }
  const out: BypassRule[] = [];
  text.split('\n').forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const data = (hash < 0 ? raw : raw.slice(0, hash)).trim();
    if (data.length === 0) return;
    const d = normalizeDomain(data);
    if (typeof d !== 'string') {
      throw new HradbaError('HRADBA_ERR_LIST', `${file}:${i + 1}: ${d.error}`, { problems: [{ file, line: i + 1, message: d.error }] });
    }
    out.push({ key: 'dohProviders', domain: d, exact: false, answer: 'nxdomain', why: `public encrypted DNS resolver (${file}:${i + 1})` });
  });
  return out;
}

/** antiBypassRules lists the rules switched on, the resolver names last. */
export function antiBypassRules(cfg: Config['antiBypass']): BypassRule[] {
  const rules = BYPASS_RULES.filter((r) => cfg[r.key]);
  return cfg.dohProviders ? [...rules, ...dohProviderRules()] : rules;
}

/** compileAntiBypass puts the enabled rules in a trie (empty when all are off). */
export function compileAntiBypass(cfg: Config['antiBypass']): DomainTrie<BypassRule> {
  const trie = new DomainTrie<BypassRule>();
  for (const rule of antiBypassRules(cfg)) trie.add(rule.domain, rule.exact, rule);
  return trie;
}
