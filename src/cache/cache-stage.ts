/**
 * The stage between policy and the upstreams: answers from the cache when it can, sends identical queries in flight
 * upstream once, stores what comes back, refreshes popular entries shortly before they expire (prefetch), and serves
 * expired answers when every upstream fails (RFC 8767, when enabled). It sits strictly below policy: the query
 * handler only gets here for names the policy in force allows, so a name banned by a reload is never served from here.
 */
import { checkAnswer, wellFormedPart, type AnswerLayout } from '../dns/answer-check.js';
import { EDE, OPTION_CODE, RCODE } from '../dns/constants.js';
import { withoutOptionAt } from '../dns/ecs.js';
import { appendEde } from '../dns/ede-append.js';
import { relayAnswer } from '../dns/relay.js';
import type { ParsedQuery } from '../dns/types.js';
import { withRecursionDesired } from '../dns/upstream-query.js';
import type { ForwardFailure, ForwardResult, Forwarder } from '../upstream/types.js';
import { AnswerCache, type CacheEntry } from './answer-cache.js';
import { cacheKey } from './cache-key.js';

/** RFC 8767 §4: the TTL of a stale answer. */
export const STALE_TTL_SEC = 30;
/** Entries with a shorter lifetime are not prefetched: they would be refreshed almost all the time. */
const PREFETCH_MIN_TTL_SEC = 10;

export interface CacheStageOptions {
  readonly serveStale: boolean;
  readonly prefetch: boolean;
  /**
   * `cache.maxTtl` and `cache.maxNegativeTtl` in seconds: no TTL relayed from an upstream exceeds them, on the first
   * answer as on those from the cache. Absent: the cache's own bounds (none without a cache).
   */
  readonly maxTtlSec?: number;
  readonly maxNegativeTtlSec?: number;
}

type Answered = Extract<ForwardResult, { ok: true }>;
/** A forwarding's result once its answer is known to be well-formed: it carries the layout of its check. */
type CheckedResult = Exclude<ForwardResult, { ok: true }> | (Answered & { readonly layout: AnswerLayout });

const MALFORMED: CheckedResult = Object.freeze({ ok: false, reason: 'malformed' });

function hasLayout(result: Answered): result is Answered & { readonly layout: AnswerLayout } {
  return result.layout !== undefined;
}

/** `result` with its answer checked: as it is when it carries its layout (a pool's), else checked here once. */
function checked(result: ForwardResult, questionEnd: number): CheckedResult {
  if (!result.ok || hasLayout(result)) return result;
  const layout = checkAnswer(result.answer, questionEnd);
  return layout === null ? MALFORMED : { ...result, answer: wellFormedPart(result.answer, layout), layout };
}

/**
 * `answer` (walked into `layout`) without its COOKIE option (see forward()), and the layout of what is returned: the
 * same pair when there is none. The option sits inside the OPT, so only the OPT's end and records after it move.
 */
function withoutCookie(answer: Buffer, layout: AnswerLayout): { answer: Buffer; layout: AnswerLayout } {
  const stripped = layout.optStart < 0 ? answer : withoutOptionAt(answer, layout.optStart, layout.optEnd, OPTION_CODE.COOKIE);
  if (stripped === answer) return { answer, layout };
  const removed = answer.length - stripped.length;
  const { optStart, optEnd } = layout;
  let { offsets } = layout;
  if (offsets.length > 0 && offsets[offsets.length - 1]! > optStart) {
    offsets = offsets.map((o) => (o > optStart ? o - removed : o));
  }
  return { answer: stripped, layout: { ...layout, offsets, optEnd: optEnd - removed, length: layout.length - removed } };
}

/** What the stage produced: the client's answer (relayed: client ID, question case, RA) or why there is none. */
export type StageResult =
  | { readonly ok: true; readonly answer: Buffer; readonly source: 'cache' | 'upstream' | 'stale'; readonly upstream: string | null }
  | { readonly ok: false; readonly reason: ForwardFailure; readonly upstream: string | null };

function upstreamName(r: ForwardResult): string | null {
  return r.ok ? ('url' in r.upstream && typeof r.upstream.url === 'string' ? r.upstream.url : `${r.upstream.host}:${r.upstream.port}`) : null;
}

/** One stage per running server; it outlives reloads together with its cache. */
export class CacheStage {
  /** Forwardings in progress by cache key: later identical queries wait for the first one's answer. */
  private readonly pending = new Map<string, Promise<CheckedResult>>();
  /** Queries that joined another's forwarding instead of going upstream themselves. */
  deduplicated = 0;

  constructor(
    readonly cache: AnswerCache | null,
    private readonly opts: CacheStageOptions,
  ) {}

  /**
   * The client's answer from the cache when a fresh entry exists, synchronously (a hit costs no promise), or null.
   * Counts the hit or miss and may start a prefetch of `upstreamQuery` through `forwarder`.
   */
  cached(forwarder: Forwarder, msg: Buffer, q: ParsedQuery, upstreamQuery: Buffer, cacheable: boolean): Buffer | null {
    const cache = this.cache;
    if (!cacheable || cache === null) return null;
    const entry = cache.lookup(cacheKey(q));
    if (entry !== undefined && cache.isFresh(entry)) {
      const answer = cache.answer(entry, msg, q);
      if (answer !== null) {
        cache.stats.hits++;
        entry.hits++;
        this.maybePrefetch(cache, entry, forwarder, upstreamQuery, q.questionEnd);
        return answer;
      }
    }
    cache.stats.misses++;
    return null;
  }

  /**
   * Answers the client query `msg` (parsed as `q`): from the cache, or by forwarding `upstreamQuery` (the query as
   * it goes upstream, e.g. without ECS) to `forwarder`. `cacheable` false bypasses cache and sharing (e.g. a
   * query whose ECS option is passed on, whose answer may be meant for its subnet only). `missed`: the caller
   * already asked cached() and got null.
   */
  async resolve(
    forwarder: Forwarder,
    msg: Buffer,
    q: ParsedQuery,
    upstreamQuery: Buffer,
    cacheable: boolean,
    missed = false,
  ): Promise<StageResult> {
    if (!missed) {
      const hit = this.cached(forwarder, msg, q, upstreamQuery, cacheable);
      if (hit !== null) return { ok: true, answer: hit, source: 'cache', upstream: null };
    }
    const cache = this.cache;
    const key = cacheable ? cacheKey(q) : null;
    const result = await this.forward(key, forwarder, upstreamQuery, q.questionEnd);
    // RFC 8767: a stale answer (expired within staleMaxAge) when no upstream could answer; an upstream SERVFAIL
    // is such a failure as much as silence is.
    const failed = result.ok ? (result.answer[3]! & 0x0f) === RCODE.SERVFAIL : result.reason !== 'closed';
    // Looked up again: the entry may have been replaced or dropped while the query was upstream.
    const entry = failed && this.opts.serveStale && key !== null ? cache?.lookup(key) : undefined;
    if (entry !== undefined && cache !== null) {
      // Another query may have stored a fresh answer meanwhile: that one is served as it is.
      if (cache.isFresh(entry)) {
        const fresh = cache.answer(entry, msg, q);
        if (fresh !== null) return { ok: true, answer: fresh, source: 'cache', upstream: null };
      }
      const answer = cache.answer(entry, msg, q, STALE_TTL_SEC);
      if (answer !== null) {
        cache.stats.stale++;
        // RFC 8767 §6 / RFC 8914 §4.4: tell EDNS clients the answer is stale.
        const marked = appendEde(answer, q.questionEnd, EDE.STALE_ANSWER, 'no upstream answered; served from expired cache');
        return { ok: true, answer: marked, source: 'stale', upstream: null };
      }
    }
    if (!result.ok) return { ok: false, reason: result.reason, upstream: null };
    const layout = result.layout;
    const answer = relayAnswer(result.answer, msg, q, layout);
    if (answer === null) return { ok: false, reason: 'malformed', upstream: upstreamName(result) };
    this.capTtls(answer, result.answer, layout);
    return { ok: true, answer, source: 'upstream', upstream: upstreamName(result) };
  }

  /**
   * Lowers, in the client's copy `out` of `answer`, every TTL above `cache.maxTtl` (`cache.maxNegativeTtl` for a
   * negative answer) to that bound, and a TTL with the top bit set to 0 (RFC 2181 §8), so the first answer never says
   * more than the cache would. `out` may lack the OPT record of `answer` (classic client): records after it moved up.
   */
  private capTtls(out: Buffer, answer: Buffer, layout: AnswerLayout): void {
    const maxTtl = this.opts.maxTtlSec ?? this.cache?.opts.maxTtlSec;
    if (maxTtl === undefined) return;
    const maxNegative = this.opts.maxNegativeTtlSec ?? this.cache?.opts.maxNegativeTtlSec ?? maxTtl;
    const negative = (answer[3]! & 0x0f) === RCODE.NXDOMAIN || ((answer[6]! << 8) | answer[7]!) === 0;
    const cap = negative ? Math.min(maxTtl, maxNegative) : maxTtl;
    const { offsets, ttls, optStart, optEnd } = layout;
    const shift = out.length === answer.length ? 0 : optEnd - optStart;
    for (let i = 0; i < offsets.length; i++) {
      const at = offsets[i]!;
      if (answer.readUInt32BE(at) > cap) out.writeUInt32BE(Math.min(ttls[i]!, cap), shift !== 0 && at > optStart ? at - shift : at);
    }
  }

  /** Empties the cache (SIGUSR1); returns the number of entries dropped. */
  flush(): number {
    return this.cache?.flush() ?? 0;
  }

  /**
   * Forwards once per key at a time, storing a cacheable answer before handing it to every waiter. Only the query
   * that went upstream gets the answer with its COOKIE option: the client cookie in it is that query's, and a client
   * must drop a response carrying another's (RFC 7873 §5.3), so the cache and the queries that joined get it without.
   */
  private async forward(key: string | null, forwarder: Forwarder, clientQuery: Buffer, questionEnd: number): Promise<CheckedResult> {
    const query = withRecursionDesired(clientQuery);
    if (key === null) return checked(await forwarder.forward(query, questionEnd), questionEnd);
    const running = this.pending.get(key);
    if (running !== undefined) {
      this.deduplicated++;
      const shared = await running;
      return shared.ok ? { ...shared, ...withoutCookie(shared.answer, shared.layout) } : shared;
    }
    const cache = this.cache;
    const p = forwarder.forward(query, questionEnd).then((forwarded) => {
      this.pending.delete(key);
      const result = checked(forwarded, questionEnd);
      if (result.ok && cache !== null) {
        const stored = withoutCookie(result.answer, result.layout);
        cache.store(key, stored.answer, questionEnd, stored.layout);
      }
      return result;
    });
    this.pending.set(key, p);
    return p;
  }

  /** A hit on an entry in the last tenth of its life, asked for before: refresh it in the background. */
  private maybePrefetch(cache: AnswerCache, entry: CacheEntry, forwarder: Forwarder, query: Buffer, questionEnd: number): void {
    if (!this.opts.prefetch || entry.refreshing || entry.ttl < PREFETCH_MIN_TTL_SEC || entry.hits < 2) return;
    if (cache.remaining(entry) > entry.ttl / 10) return;
    entry.refreshing = true;
    void this.forward(entry.key, forwarder, Buffer.from(query), questionEnd).then((r) => {
      if (!r.ok) entry.refreshing = false;
    });
  }
}
