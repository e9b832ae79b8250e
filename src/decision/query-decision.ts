/**
 * The one decision for a query (name, type, client): refused by access, sinkholed, anti-bypass answer, answered
 * locally, or forwarded (to which forwardZones rule), with the verdict that let it go on. The server's policy
 * stage and query path, `hradba explain` and `hradba export rpz` all take it from here, so they cannot drift.
 * Pure: it reads the policy, the groups and a few config values, and writes nothing (expired exceptions are
 * reported to a callback, for the server's log).
 */
import { isLocalZone } from '../dns/local-zone.js';
import { TYPE } from '../dns/constants.js';
import type { BypassRule } from '../policy/anti-bypass.js';
import type { ClientGroup, ClientGroups, ExceptionRule } from '../policy/client-groups.js';
import type { DomainTrie } from '../policy/domain-trie.js';
import type { Policy } from '../policy/policy.js';
import type { PolicyEntry } from '../policy/types.js';
import { decide as verdictOf, type Verdict } from '../policy/verdict.js';
import { longestZone } from '../upstream/forward-router.js';

/** The verdict for a name in a group, with the one rule that depends on the query type folded in. */
export type NameDecision =
  | Verdict
  /**
   * A DS query for the listed name's own apex goes upstream, unlogged: the DS of a zone's apex lives in the
   * parent (RFC 4035 §3.1.4.1). A validator asks it to learn whether the zone below is signed; relayed, an
   * unsigned vendor zone reads as insecure and its block as a plain NXDOMAIN, where a sinkholed DS reads as a
   * broken trust chain. Names below the apex, and their DS, stay sinkholed; log-only lists do what enforcement
   * would.
   */
  | { readonly kind: 'apex-ds'; readonly passed: Extract<Verdict, { kind: 'block' | 'log-only' | 'bypass' }> };

/** Where a query the policy lets on is answered. */
export type Route =
  | { readonly kind: 'local'; readonly zone: string }
  /** `zone`: the forwardZones rule that applies, or null for the default upstreams. */
  | { readonly kind: 'forward'; readonly zone: string | null };

/** The whole decision for one query. */
export type QueryDecision =
  | { readonly kind: 'refused'; readonly action: 'refuse' | 'drop' }
  | { readonly kind: 'sinkholed'; readonly group: ClientGroup; readonly clientName: string | null; readonly entry: PolicyEntry; readonly mode: string }
  | { readonly kind: 'bypass'; readonly group: ClientGroup; readonly clientName: string | null; readonly rule: BypassRule }
  /** Answered: `verdict` is what let the query on (allow, exception, log-only, apex DS), `route` where it goes. */
  | {
      readonly kind: 'answered';
      readonly group: ClientGroup;
      readonly clientName: string | null;
      readonly verdict: Exclude<NameDecision, { kind: 'block' | 'bypass' }>;
      readonly route: Route;
    };

/** What a decision is made from: all of it is in a server snapshot, and explain builds the same from the config. */
export interface DecisionSource {
  readonly policy: Policy;
  readonly bypass: DomainTrie<BypassRule>;
  readonly groups: ClientGroups;
  readonly isAllowed: (address: string) => boolean;
  /** The zones of the forwardZones rules. */
  readonly forwardZones: ReadonlySet<string>;
  readonly config: {
    readonly access: { readonly action: 'refuse' | 'drop' };
    readonly forward: { readonly testNames: boolean };
    readonly sinkhole: { readonly mode: string };
  };
  readonly now: () => number;
}

/** The one default-upstream route: the common case allocates nothing. */
const FORWARD_DEFAULT: Route = Object.freeze({ kind: 'forward', zone: null });

/** decideName gives the verdict for qname (lower-case, no trailing dot) of type qtype asked by a client of `group`. */
export function decideName(
  src: Pick<DecisionSource, 'policy' | 'bypass'>,
  group: ClientGroup,
  qname: string,
  qtype: number,
  nowMs: number,
  onExpired?: (rule: ExceptionRule) => void,
): NameDecision {
  const v = verdictOf(src, group, qname, nowMs, onExpired);
  if (qtype !== TYPE.DS) return v;
  if ((v.kind === 'block' || v.kind === 'log-only') && v.entry.domain === qname) return { kind: 'apex-ds', passed: v };
  if (v.kind === 'bypass' && v.rule.domain === qname) return { kind: 'apex-ds', passed: v };
  return v;
}

/** routeOf says where an allowed name is answered: a forwardZones rule beats the locally served zones. */
export function routeOf(qname: string, forwardZones: ReadonlySet<string>, forwardTestNames: boolean): Route {
  const zone = forwardZones.size === 0 ? null : longestZone(qname, forwardZones);
  if (zone !== null) return { kind: 'forward', zone };
  const local = isLocalZone(qname, forwardTestNames);
  return local === null ? FORWARD_DEFAULT : { kind: 'local', zone: local };
}

/**
 * decide makes the whole decision for a query from `client` (an address; undefined: a client of the default
 * group that access control lets in). `ignoreAccess` says what a refused client would get if it were let in.
 */
export function decide(
  src: DecisionSource,
  qname: string,
  qtype: number,
  client: string | undefined,
  opts: { readonly ignoreAccess?: boolean; readonly onExpired?: (rule: ExceptionRule) => void } = {},
): QueryDecision {
  if (client !== undefined && opts.ignoreAccess !== true && !src.isAllowed(client)) return { kind: 'refused', action: src.config.access.action };
  const who = client === undefined ? { name: null, group: src.groups.defaultGroup } : src.groups.identify(client);
  const base = { group: who.group, clientName: who.name };
  const v = decideName(src, who.group, qname, qtype, src.now(), opts.onExpired);
  if (v.kind === 'block') return { kind: 'sinkholed', ...base, entry: v.entry, mode: src.config.sinkhole.mode };
  if (v.kind === 'bypass') return { kind: 'bypass', ...base, rule: v.rule };
  return { kind: 'answered', ...base, verdict: v, route: routeOf(qname, src.forwardZones, src.config.forward.testNames) };
}
