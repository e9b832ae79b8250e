/**
 * A Snapshot is everything one query needs, built whole from one config and swapped in one assignment:
 * a query takes the current snapshot once at entry and finishes on it, whatever reloads happen meanwhile.
 */
import { isDeepStrictEqual } from 'node:util';
import { compileAcl } from '../access/acl.js';
import type { Config } from '../config/types.js';
import type { BypassRule } from '../policy/anti-bypass.js';
import type { ClientGroups } from '../policy/client-groups.js';
import type { DomainTrie } from '../policy/domain-trie.js';
import { buildPolicy, type Policy } from '../policy/policy.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import type { ListInfo } from '../policy/types.js';
import { createForwarder, type Forwarder, type UpstreamObserver } from '../upstream/forwarder.js';

export interface Snapshot {
  readonly version: number;
  readonly config: Config;
  readonly policy: Policy;
  readonly isAllowed: (address: string) => boolean;
  readonly forwarder: Forwarder;
  /** The Extended DNS Error text for a block by this list: vendor and legal basis. */
  readonly blockedText: (list: ListInfo) => string;
  /** Client names and groups (each group's lists and exceptions). */
  readonly groups: ClientGroups;
  /** The anti-bypass signals switched on. */
  readonly bypass: DomainTrie<BypassRule>;
  /** The clock exceptions expire by (epoch ms); injectable for tests. */
  readonly now: () => number;
}

/** Build options: a forced reload skips the shrink guard; `now` replaces the clock (tests); the upstream observer feeds metrics. */
export interface SnapshotOptions {
  readonly force?: boolean;
  readonly now?: () => number;
  /** Told of every upstream attempt (metrics). */
  readonly upstreamObserver?: UpstreamObserver;
}

/**
 * blockedTextFor says which vendor is blocked and on what basis, in the few words an EDE text can hold.
 * Short ids first and the date before the authority: when the text is cut to its bound, only the tail of
 * the authority's name is lost.
 */
export function blockedTextFor(list: ListInfo): string {
  const basis = list.basis[0];
  const grounds = basis === undefined ? '' : `; basis: ${basis.date} ${basis.authority}`;
  return `vendor ${list.vendor}; list ${list.id}${grounds}`;
}

/**
 * buildSnapshot compiles a config into a snapshot. The forwarder of `prev` is kept when the forwarding
 * settings are unchanged (its sockets and in-flight queries carry on); otherwise a new one is made and
 * `retired` lists what the caller must close once the old snapshot's queries have drained.
 */
export async function buildSnapshot(
  config: Config,
  version: number,
  prev?: Snapshot,
  opts: SnapshotOptions = {},
): Promise<{ snapshot: Snapshot; retired: Forwarder[] }> {
  const policy = await buildPolicy(config.lists, config.maxBadLines, version, {
    ...(prev === undefined ? {} : { prev: prev.policy }),
    shrinkGuard: config.shrinkGuard,
    force: opts.force === true,
  });
  const { groups, bypass } = compileGroupPolicy(config, policy);
  const isAllowed = compileAcl(config.access.allow);
  const sameForwarding =
    prev !== undefined &&
    isDeepStrictEqual(prev.config.upstreams, config.upstreams) &&
    isDeepStrictEqual(prev.config.forward, config.forward);
  const forwarder = sameForwarding
    ? prev.forwarder
    : createForwarder({
        upstreams: config.upstreams,
        attemptTimeoutMs: config.forward.attemptTimeoutMs,
        deadlineMs: config.forward.deadlineMs,
        socketPool: config.forward.socketPool,
        ...(opts.upstreamObserver === undefined ? {} : { observer: opts.upstreamObserver }),
      });
  const texts = new Map<ListInfo, string>();
  const blockedText = (list: ListInfo): string => {
    let text = texts.get(list);
    if (text === undefined) {
      text = blockedTextFor(list);
      texts.set(list, text);
    }
    return text;
  };
  const now = opts.now ?? prev?.now ?? Date.now;
  const snapshot: Snapshot = Object.freeze({ version, config, policy, isAllowed, forwarder, blockedText, groups, bypass, now });
  return { snapshot, retired: prev !== undefined && !sameForwarding ? [prev.forwarder] : [] };
}
