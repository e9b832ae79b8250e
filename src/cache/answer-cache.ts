/** The answer cache: upstream answers as raw messages with their TTL offsets, bounded by entries and bytes, least recently used out first. */
import type { AnswerLayout } from '../dns/answer-check.js';
import { relayAnswer } from '../dns/relay.js';
import type { ParsedQuery } from '../dns/types.js';
import { readAnswerTtls } from './answer-ttl.js';

/** How the cache is bounded and how long it keeps answers. */
export interface AnswerCacheOptions {
  readonly maxEntries: number;
  readonly maxBytes: number;
  /** Clamps on the lifetime of an entry, in seconds. */
  readonly minTtlSec: number;
  readonly maxTtlSec: number;
  /** Upper bound for negative answers (NXDOMAIN/NODATA), in seconds. */
  readonly maxNegativeTtlSec: number;
  /** RFC 8767: how long past expiry an entry is kept to be served when every upstream fails; 0: not at all. */
  readonly staleKeepSec: number;
  /** Clock in milliseconds; tests may pass their own. */
  readonly now?: () => number;
}

/** One cached answer. */
export interface CacheEntry {
  readonly key: string;
  /** The upstream answer as received (our ID, the first asker's question case). */
  readonly msg: Buffer;
  readonly offsets: Uint32Array;
  readonly ttls: Uint32Array;
  /** Where `msg`'s OPT record is (-1: none), from its check on arrival: the relay need not walk to find it. */
  readonly optStart: number;
  readonly optEnd: number;
  readonly storedAt: number;
  /** Clamped lifetime in seconds. */
  readonly ttl: number;
  readonly expiresAt: number;
  readonly bytes: number;
  hits: number;
  /** A refresh is already on its way (prefetch or a forward after expiry). */
  refreshing: boolean;
}

/**
 * Fixed cost charged per entry on top of the message: the key, the TTL arrays, the message's Buffer object, the
 * entry, its Map slot and its share of the Buffer pool's slab. Measured at about 980 bytes per entry on top of the
 * message, key and offsets (heap plus external memory after full collections, a full cache of 16 to 64 MiB), so
 * `cache.maxBytes` bounds the memory the cache really holds, not just its messages: test/cache/cache-footprint.test.ts
 * holds it to within 10% of the limit.
 */
const ENTRY_OVERHEAD = 980;

/** Counters for tests and metrics. */
export interface CacheStats {
  hits: number;
  misses: number;
  stored: number;
  evicted: number;
  stale: number;
  flushes: number;
}

export class AnswerCache {
  /** Insertion order is recency order: a hit moves its entry to the end, eviction takes from the front. */
  private readonly map = new Map<string, CacheEntry>();
  private bytes = 0;
  private readonly now: () => number;
  readonly stats: CacheStats = { hits: 0, misses: 0, stored: 0, evicted: 0, stale: 0, flushes: 0 };

  constructor(readonly opts: AnswerCacheOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.map.size;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** The entry for `key`, fresh or (within the stale window) expired; expired ones past the window are dropped. */
  lookup(key: string): CacheEntry | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    const now = this.now();
    if (now >= entry.expiresAt + this.opts.staleKeepSec * 1000) {
      this.remove(entry);
      return undefined;
    }
    this.map.delete(key);
    this.map.set(key, entry);
    return entry;
  }

  /** True while `entry` may be served as fresh. */
  isFresh(entry: CacheEntry): boolean {
    return this.now() < entry.expiresAt;
  }

  /** Seconds `entry` has left (0 when expired). */
  remaining(entry: CacheEntry): number {
    return Math.max(0, Math.floor((entry.expiresAt - this.now()) / 1000));
  }

  /**
   * Stores an upstream answer when it is cacheable (see readAnswerTtls); returns whether it was stored. `layout` is
   * the answer's check on arrival; without one (tests), the answer is checked here.
   */
  store(key: string, answer: Buffer, questionEnd: number, layout?: AnswerLayout | null): boolean {
    const read = readAnswerTtls(answer, questionEnd, layout);
    if (read === null) return false;
    const { minTtlSec, maxTtlSec, maxNegativeTtlSec } = this.opts;
    const max = read.negative ? Math.min(maxTtlSec, maxNegativeTtlSec) : maxTtlSec;
    const ttl = Math.min(Math.max(read.lifetime, minTtlSec), max);
    if (ttl <= 0) return false;
    const bytes = answer.length + key.length + ENTRY_OVERHEAD + read.offsets.length * 8;
    if (bytes > this.opts.maxBytes) return false;
    const old = this.map.get(key);
    if (old !== undefined) this.remove(old);
    const storedAt = this.now();
    const entry: CacheEntry = {
      key,
      msg: Buffer.from(answer),
      offsets: read.offsets,
      ttls: read.ttls,
      optStart: read.optStart,
      optEnd: read.optEnd,
      storedAt,
      ttl,
      expiresAt: storedAt + ttl * 1000,
      bytes,
      hits: 0,
      refreshing: false,
    };
    this.map.set(key, entry);
    this.bytes += bytes;
    this.stats.stored++;
    // Bounded: each pass removes one entry, and the new entry alone fits within maxBytes.
    while (this.map.size > this.opts.maxEntries || this.bytes > this.opts.maxBytes) {
      const oldest = this.map.values().next().value;
      if (oldest === undefined) break;
      this.remove(oldest);
      this.stats.evicted++;
    }
    return true;
  }

  /**
   * The client's answer from `entry`: relayed as an upstream answer would be (client ID, question case, RA, OPT
   * handling), with every TTL lowered by the time spent in the cache, or set to `staleTtlSec` when serving stale.
   * Null when the entry does not fit the query (cannot happen for entries stored under the query's key).
   */
  answer(entry: CacheEntry, msg: Buffer, q: ParsedQuery, staleTtlSec?: number): Buffer | null {
    const elapsed = Math.floor((this.now() - entry.storedAt) / 1000);
    const out = relayAnswer(entry.msg, msg, q, entry);
    if (out === null) return null;
    if (out.length === entry.msg.length) {
      writeTtls(out, entry, this.opts.minTtlSec, elapsed, staleTtlSec);
      return out;
    }
    // The relay removed an OPT record, which moved the TTL offsets: rewrite on a copy of the stored form first.
    const copy = Buffer.from(entry.msg);
    writeTtls(copy, entry, this.opts.minTtlSec, elapsed, staleTtlSec);
    return relayAnswer(copy, msg, q, entry);
  }

  /** Empties the cache; returns how many entries were dropped. */
  flush(): number {
    const n = this.map.size;
    this.map.clear();
    this.bytes = 0;
    this.stats.flushes++;
    return n;
  }

  private remove(entry: CacheEntry): void {
    if (this.map.get(entry.key) !== entry) return;
    this.map.delete(entry.key);
    this.bytes -= entry.bytes;
  }
}

/** Writes each record's TTL: its received value clamped to [minTtl, the entry's lifetime], minus `elapsed`, never below 0. */
function writeTtls(out: Buffer, entry: CacheEntry, minTtl: number, elapsed: number, staleTtlSec: number | undefined): void {
  const { offsets, ttls, ttl } = entry;
  for (let i = 0; i < offsets.length; i++) {
    const value = staleTtlSec !== undefined ? staleTtlSec : Math.max(0, Math.min(Math.max(ttls[i]!, minTtl), ttl) - elapsed);
    out.writeUInt32BE(value, offsets[i]!);
  }
}
