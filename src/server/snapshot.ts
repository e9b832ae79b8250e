/**
 * A Snapshot is everything one query needs, built whole from one config and swapped in one assignment:
 * a query takes the current snapshot once at entry and finishes on it, whatever reloads happen meanwhile.
 */
import { isDeepStrictEqual } from 'node:util';
import { compileAcl } from '../access/acl.js';
import type { Config } from '../config/types.js';
import type { BypassRule } from '../policy/anti-bypass.js';
import { buildPolicyInWorker } from '../policy/build-in-worker.js';
import type { ClientGroups } from '../policy/client-groups.js';
import type { DomainTrie } from '../policy/domain-trie.js';
import type { Policy } from '../policy/policy.js';
import { compileGroupPolicy } from '../policy/group-policy.js';
import type { ListInfo } from '../policy/types.js';
import { AnswerCache } from '../cache/answer-cache.js';
import { CacheStage } from '../cache/cache-stage.js';
import type { Upstream } from '../config/types.js';
import { ForwardRouter } from '../upstream/forward-router.js';
import type { Forwarder, UpstreamObserver } from '../upstream/forwarder.js';
import type { HealthListener } from '../upstream/health-log.js';
import { createUpstreamPool, type UpstreamPool } from '../upstream/upstream-pool.js';

export interface Snapshot {
  readonly version: number;
  readonly config: Config;
  readonly policy: Policy;
  readonly isAllowed: (address: string) => boolean;
  /** The default upstream pool (`upstreams`). */
  readonly forwarder: Forwarder;
  /** Conditional forwarding (`forwardZones`): the pool for a name, when a rule applies. */
  readonly router: ForwardRouter;
  /** The zones of the `forwardZones` rules (where src/decision/ routes a name). */
  readonly forwardZones: ReadonlySet<string>;
  /** Cache, in-flight sharing, prefetch and serve-stale; kept across reloads. */
  readonly stage: CacheStage;
  /** The Extended DNS Error text for a block by this list: vendor and legal basis. */
  readonly blockedText: (list: ListInfo) => string;
  /** Client names and groups (each group's lists and exceptions). */
  readonly groups: ClientGroups;
  /** The anti-bypass signals switched on. */
  readonly bypass: DomainTrie<BypassRule>;
  /** The clock exceptions expire by (epoch ms); injectable for tests. */
  readonly now: () => number;
}

/**
 * Build options: a forced reload skips the shrink guard; `now` replaces the clock (tests); the upstream observer
 * feeds metrics; `onHealth` hears of upstreams marked down or back up (for the log).
 */
export interface SnapshotOptions {
  readonly force?: boolean;
  /** A policy compiled elsewhere (the supervisor of several serving threads builds one for all); default: built here. */
  readonly policy?: Policy;
  readonly now?: () => number;
  /** Told of every upstream attempt (metrics). */
  readonly upstreamObserver?: UpstreamObserver;
  /** An upstream was marked down or came back. */
  readonly onHealth?: HealthListener;
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

function makePool(config: Config, upstreams: readonly Upstream[], hooks: SnapshotOptions): UpstreamPool {
  return createUpstreamPool({
    upstreams,
    strategy: config.pool.strategy,
    attemptTimeoutMs: config.forward.attemptTimeoutMs,
    deadlineMs: config.forward.deadlineMs,
    socketPool: config.forward.socketPool,
    maxFails: config.pool.maxFails,
    probeIntervalMs: config.pool.probeIntervalMs,
    maxInFlight: config.pool.maxInFlight,
    ...(hooks.onHealth === undefined ? {} : { onHealth: hooks.onHealth }),
    ...(hooks.upstreamObserver === undefined ? {} : { observer: hooks.upstreamObserver }),
  });
}

function makeStage(config: Config): CacheStage {
  const c = config.cache;
  const cache = c.enabled
    ? new AnswerCache({
        maxEntries: c.maxEntries,
        maxBytes: c.maxBytes,
        minTtlSec: c.minTtlSec,
        maxTtlSec: c.maxTtlSec,
        maxNegativeTtlSec: c.maxNegativeTtlSec,
        staleKeepSec: c.serveStale ? c.staleMaxAgeSec : 0,
      })
    : null;
  return new CacheStage(cache, { serveStale: c.serveStale, prefetch: c.prefetch, maxTtlSec: c.maxTtlSec, maxNegativeTtlSec: c.maxNegativeTtlSec });
}

/**
 * buildSnapshot compiles a config into a snapshot. The upstream pools of `prev` are kept when the forwarding
 * settings are unchanged (their connections, health and in-flight queries carry on); otherwise new ones are made and
 * `retired` lists what the caller must close once the old snapshot's queries have drained. The cache is kept across
 * reloads unless its own settings change; it is flushed when the conditional forwarding rules change, since its
 * answers may have come from upstreams that no longer serve those names.
 */
export async function buildSnapshot(
  config: Config,
  version: number,
  prev?: Snapshot,
  opts: SnapshotOptions = {},
): Promise<{ snapshot: Snapshot; retired: Forwarder[] }> {
  // Built in a worker thread: the thread answering queries keeps answering while a big list compiles.
  const policy =
    opts.policy ??
    (await buildPolicyInWorker(config.lists, config.maxBadLines, version, {
      ...(prev === undefined ? {} : { prev: prev.policy }),
      shrinkGuard: config.shrinkGuard,
      force: opts.force === true,
    }));
  const { groups, bypass } = compileGroupPolicy(config, policy);
  const isAllowed = compileAcl(config.access.allow);
  const sameForwarding =
    prev !== undefined &&
    isDeepStrictEqual(prev.config.upstreams, config.upstreams) &&
    isDeepStrictEqual(prev.config.forward, config.forward) &&
    isDeepStrictEqual(prev.config.pool, config.pool) &&
    isDeepStrictEqual(prev.config.forwardZones, config.forwardZones);
  let forwarder: Forwarder;
  let router: ForwardRouter;
  if (sameForwarding) {
    forwarder = prev.forwarder;
    router = prev.router;
  } else {
    const pool = makePool(config, config.upstreams, opts);
    const zones = new Map(config.forwardZones.map((z) => [z.zone, makePool(config, z.upstreams, opts)] as const));
    forwarder = pool;
    router = new ForwardRouter(pool, zones);
  }
  let stage: CacheStage;
  if (prev !== undefined && isDeepStrictEqual(prev.config.cache, config.cache)) {
    stage = prev.stage;
    if (!isDeepStrictEqual(prev.config.forwardZones, config.forwardZones)) stage.flush();
  } else {
    stage = makeStage(config);
  }
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
  const forwardZones = new Set(config.forwardZones.map((z) => z.zone));
  const snapshot: Snapshot = Object.freeze({ version, config, policy, isAllowed, forwarder, router, forwardZones, stage, blockedText, groups, bypass, now });
  const retired = prev !== undefined && !sameForwarding ? [...new Set([prev.forwarder, ...prev.router.pools])] : [];
  return { snapshot, retired };
}
