/**
 * Client groups: which group (and which client name) a source address belongs to. The most specific network
 * over every group wins, so a single address inside a department's /24 can be put in another group; two
 * groups listing the same network is a config error. Clients in no group belong to `default`.
 */
import type { ClientConfig, GroupConfig } from '../config/types.js';
import { HradbaError } from '../errors.js';
import { DomainTrie } from './domain-trie.js';
import { PrefixTable } from './prefix-table.js';

/** One exception (allow entry) as the query path sees it. */
export interface ExceptionRule {
  /** The excepted domain; the rule covers it and every name below it. */
  readonly domain: string;
  readonly reason: string;
  /** The group it belongs to. */
  readonly group: string;
  /** As written in the config, or null. */
  readonly expires: string | null;
  /** Epoch milliseconds from which the rule no longer applies; null: never. */
  readonly expiresAtMs: number | null;
  /** Position in the group's `exceptions` (0-based), to point at the config. */
  readonly index: number;
}

/** A compiled group. */
export interface ClientGroup {
  readonly name: string;
  /** Ids of the lists enforced for this group; null: every enabled list. */
  readonly lists: ReadonlySet<string> | null;
  readonly exceptions: DomainTrie<ExceptionRule[]>;
  readonly exceptionCount: number;
  /** Every exception rule in config order (for export and explain). */
  readonly rules: readonly ExceptionRule[];
}

/** Who asked: the configured client name (or null) and the group whose policy applies. */
export interface ClientIdentity {
  readonly name: string | null;
  readonly group: ClientGroup;
}

/** The name of the group every unlisted client belongs to. */
export const DEFAULT_GROUP = 'default';

/** Identity lookups are cached per address; a flood of distinct sources just clears the cache. */
const CACHE_LIMIT = 65_536;

const DAY_MS = 86_400_000;

/** expiryMs reads an expiry time; a bare date means the end of that day (UTC), the way people read "until 31 December". */
export function expiryMs(expires: string): number {
  const t = Date.parse(expires.length === 10 ? `${expires}T00:00:00Z` : expires);
  return expires.length === 10 ? t + DAY_MS : t;
}

function compileGroup(g: Pick<GroupConfig, 'name' | 'lists' | 'exceptions'>): ClientGroup {
  const exceptions = new DomainTrie<ExceptionRule[]>();
  const rules: ExceptionRule[] = [];
  g.exceptions.forEach((e, index) => {
    const rule: ExceptionRule = Object.freeze({
      domain: e.domain,
      reason: e.reason,
      group: g.name,
      expires: e.expires,
      expiresAtMs: e.expires === null ? null : expiryMs(e.expires),
      index,
    });
    rules.push(rule);
    // Several rules for one domain (say a renewed one with a later expiry) are all kept, in config order.
    const [same] = exceptions.matchAll(e.domain).filter((rules) => rules[0]?.domain === e.domain);
    if (same !== undefined) same.push(rule);
    else exceptions.add(e.domain, false, [rule]);
  });
  return Object.freeze({
    name: g.name,
    lists: g.lists === null ? null : new Set(g.lists),
    exceptions,
    exceptionCount: g.exceptions.length,
    rules: Object.freeze(rules),
  });
}

/** The compiled groups of one config, and the lookup from address to identity. */
export interface ClientGroups {
  readonly groups: readonly ClientGroup[];
  readonly defaultGroup: ClientGroup;
  identify(address: string): ClientIdentity;
}

/** compileClientGroups builds the address → identity lookup; HRADBA_ERR_CONFIG when two groups claim one network. */
export function compileClientGroups(cfg: { readonly clients: readonly ClientConfig[]; readonly groups: readonly GroupConfig[]; readonly file?: string }): ClientGroups {
  const file = cfg.file ?? '<config>';
  const groups = cfg.groups.map(compileGroup);
  const defaultGroup = groups.find((g) => g.name === DEFAULT_GROUP) ?? compileGroup({ name: DEFAULT_GROUP, lists: null, exceptions: [] });
  const members = new PrefixTable<ClientGroup>();
  const names = new PrefixTable<string>();
  const problems: string[] = [];
  cfg.groups.forEach((g, i) => {
    const group = groups[i]!;
    for (const net of g.clients) {
      if (!members.add(net, group)) problems.push(`groups[${i}].clients: '${net}' is already a member network of another group (or of this one)`);
    }
  });
  cfg.clients.forEach((c, i) => {
    if (!names.add(c.address, c.name)) problems.push(`clients[${i}].address: '${c.address}' is already named`);
  });
  if (problems.length > 0) {
    throw new HradbaError('HRADBA_ERR_CONFIG', problems.join('; '), { problems: problems.map((message) => ({ file, line: 0, message })) });
  }
  const cache = new Map<string, ClientIdentity>();
  const identify = (address: string): ClientIdentity => {
    let id = cache.get(address);
    if (id === undefined) {
      id = Object.freeze({ name: names.lookup(address) ?? null, group: members.lookup(address) ?? defaultGroup });
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(address, id);
    }
    return id;
  };
  return Object.freeze({ groups: Object.freeze(groups), defaultGroup, identify });
}

/**
 * activeException returns the exception of `group` covering qname that is in force at `nowMs`, most specific
 * first; `onExpired` is told of each covering rule found past its expiry (the caller logs it once).
 */
export function activeException(group: ClientGroup, qname: string, nowMs: number, onExpired?: (rule: ExceptionRule) => void): ExceptionRule | undefined {
  if (group.exceptionCount === 0) return undefined;
  for (const rules of group.exceptions.matchAll(qname)) {
    for (const rule of rules) {
      if (rule.expiresAtMs === null || nowMs < rule.expiresAtMs) return rule;
      onExpired?.(rule);
    }
  }
  return undefined;
}
