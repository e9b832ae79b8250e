/** The cache stage with a scripted forwarder: hits, sharing of identical queries in flight, serve-stale, prefetch, bypass. */
import dns2 from 'dns2';
import { describe, expect, it } from 'vitest';
import { AnswerCache } from '../../src/cache/answer-cache.js';
import { CacheStage } from '../../src/cache/cache-stage.js';
import { parseQuery } from '../../src/dns/query.js';
import type { ParsedQuery } from '../../src/dns/types.js';
import type { ForwardResult, Forwarder } from '../../src/upstream/types.js';
import { buildQuery, buildReply, optRecord, record } from '../helpers/fake-upstream.js';

const upstream = { host: '127.0.0.1', port: 53 };

/** A forwarder whose answers the test releases by hand. */
function scripted() {
  const calls: Buffer[] = [];
  const waiting: ((r: ForwardResult) => void)[] = [];
  const forwarder = {
    forward: (query: Buffer): Promise<ForwardResult> => {
      calls.push(Buffer.from(query));
      return new Promise((resolve) => waiting.push(resolve));
    },
    close: async () => {},
    stats: { queries: 0, udpSent: 0, tcpRetries: 0, discarded: 0, attemptErrors: 0, timeouts: 0, socketsOpened: 0, socketsClosed: 0 },
  } satisfies Forwarder;
  return {
    forwarder,
    calls,
    answerAll(ttl = 300): void {
      for (const resolve of waiting.splice(0)) {
        resolve({ ok: true, answer: buildReply(calls[0]!, { answers: [record(1, ttl, Buffer.from([192, 0, 2, 1]))] }), upstream, transport: 'udp' });
      }
    },
    answerWithCookie(): void {
      const cookie = { code: 10, data: Buffer.alloc(24, 0xab) };
      for (const resolve of waiting.splice(0)) {
        const answer = buildReply(calls[0]!, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))], additional: [optRecord(1232, [cookie])] });
        resolve({ ok: true, answer, upstream, transport: 'udp' });
      }
    },
    servfailAll(): void {
      for (const resolve of waiting.splice(0)) resolve({ ok: true, answer: buildReply(calls[calls.length - 1]!, { rcode: 2 }), upstream, transport: 'udp' });
    },
    failAll(): void {
      for (const resolve of waiting.splice(0)) resolve({ ok: false, reason: 'timeout' });
    },
    resolveWith(result: ForwardResult): void {
      for (const resolve of waiting.splice(0)) resolve(result);
    },
  };
}

function q(id: number, name = 'www.example.org'): { msg: Buffer; pq: ParsedQuery } {
  const { msg } = buildQuery({ id, name, type: 1 });
  const r = parseQuery(msg);
  if (!r.ok) throw new Error('bad query');
  return { msg, pq: r.query };
}

function makeCache(now: () => number, staleKeepSec = 0): AnswerCache {
  return new AnswerCache({ maxEntries: 100, maxBytes: 1_000_000, minTtlSec: 0, maxTtlSec: 86400, maxNegativeTtlSec: 3600, staleKeepSec, now });
}

describe('CacheStage', () => {
  it('sends identical queries in flight upstream once and answers each with its own ID', async () => {
    const f = scripted();
    const stage = new CacheStage(makeCache(Date.now), { serveStale: false, prefetch: false });
    const queries = [1, 2, 3, 4, 5].map((id) => q(id));
    const pending = queries.map(({ msg, pq }) => stage.resolve(f.forwarder, msg, pq, msg, true));
    expect(f.calls.length).toBe(1);
    f.answerAll();
    const results = await Promise.all(pending);
    results.forEach((r, i) => {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.answer.readUInt16BE(0)).toBe(i + 1);
    });
    expect(stage.deduplicated).toBe(4);
    // And the next one comes from the cache.
    const again = q(9);
    const hit = await stage.resolve(f.forwarder, again.msg, again.pq, again.msg, true);
    expect(hit).toMatchObject({ ok: true, source: 'cache' });
    expect(f.calls.length).toBe(1);
  });

  it('gives the COOKIE option only to the query that went upstream, never to joiners or from the cache', async () => {
    const f = scripted();
    const stage = new CacheStage(makeCache(Date.now), { serveStale: false, prefetch: false });
    const withEdns = (id: number) => {
      const { msg } = buildQuery({ id, name: 'www.example.org', type: 1, additional: [optRecord(1232)] });
      const r = parseQuery(msg);
      if (!r.ok) throw new Error('bad query');
      return { msg, pq: r.query };
    };
    const [a, b, c] = [withEdns(1), withEdns(2), withEdns(3)];
    const pa = stage.resolve(f.forwarder, a.msg, a.pq, a.msg, true);
    const pb = stage.resolve(f.forwarder, b.msg, b.pq, b.msg, true);
    f.answerWithCookie();
    const cookieBytes = Buffer.alloc(24, 0xab);
    const [ra, rb] = await Promise.all([pa, pb]);
    const rc = await stage.resolve(f.forwarder, c.msg, c.pq, c.msg, true);
    expect(ra.ok && ra.answer.includes(cookieBytes)).toBe(true);
    expect(rb.ok && !rb.answer.includes(cookieBytes) && rb.answer.readUInt16BE(10) === 1).toBe(true);
    expect(rc).toMatchObject({ ok: true, source: 'cache' });
    expect(rc.ok && !rc.answer.includes(cookieBytes) && rc.answer.readUInt16BE(10) === 1).toBe(true);
  });

  it('bypasses cache and sharing for a query marked not cacheable', async () => {
    const f = scripted();
    const stage = new CacheStage(makeCache(Date.now), { serveStale: false, prefetch: false });
    const a = q(1);
    const b = q(2);
    const pa = stage.resolve(f.forwarder, a.msg, a.pq, a.msg, false);
    const pb = stage.resolve(f.forwarder, b.msg, b.pq, b.msg, false);
    expect(f.calls.length).toBe(2);
    f.answerAll();
    await Promise.all([pa, pb]);
    expect(stage.cache!.size).toBe(0);
  });

  it('serves an expired answer with TTL 30 when every upstream fails, only with serveStale', async () => {
    let now = 1_000_000;
    for (const serveStale of [true, false]) {
      const f = scripted();
      const stage = new CacheStage(makeCache(() => now, serveStale ? 3600 : 0), { serveStale, prefetch: false });
      const first = q(1);
      const p = stage.resolve(f.forwarder, first.msg, first.pq, first.msg, true);
      f.answerAll(60);
      await p;
      now += 120_000;
      const later = q(2);
      const pending = stage.resolve(f.forwarder, later.msg, later.pq, later.msg, true);
      expect(f.calls.length).toBe(2);
      f.failAll();
      const r = await pending;
      if (serveStale) {
        expect(r).toMatchObject({ ok: true, source: 'stale' });
        if (r.ok) expect(r.answer.readUInt32BE(first.pq.questionEnd + 6)).toBe(30);
      } else {
        expect(r).toEqual({ ok: false, reason: 'timeout', upstream: null });
      }
    }
  });

  it('prefers a stale answer to an upstream SERVFAIL, and relays the SERVFAIL when there is none', async () => {
    let now = 1_000_000;
    const f = scripted();
    const stage = new CacheStage(makeCache(() => now, 3600), { serveStale: true, prefetch: false });
    const first = q(1);
    const p = stage.resolve(f.forwarder, first.msg, first.pq, first.msg, true);
    f.answerAll(60);
    await p;
    now += 120_000;
    const later = q(2);
    const pending = stage.resolve(f.forwarder, later.msg, later.pq, later.msg, true);
    f.servfailAll();
    expect(await pending).toMatchObject({ ok: true, source: 'stale' });
    const other = q(3, 'other.example.org');
    const none = stage.resolve(f.forwarder, other.msg, other.pq, other.msg, true);
    f.servfailAll();
    const r = await none;
    expect(r).toMatchObject({ ok: true, source: 'upstream' });
    if (r.ok) expect(r.answer[3]! & 0x0f).toBe(2);
  });

  it('prefetches an entry asked for again in the last tenth of its life', async () => {
    let now = 1_000_000;
    const f = scripted();
    const stage = new CacheStage(makeCache(() => now), { serveStale: false, prefetch: true });
    const first = q(1);
    const p = stage.resolve(f.forwarder, first.msg, first.pq, first.msg, true);
    f.answerAll(100);
    await p;
    const hit = q(2);
    await stage.resolve(f.forwarder, hit.msg, hit.pq, hit.msg, true); // first hit: early in its life
    expect(f.calls.length).toBe(1);
    now += 95_000;
    const late = q(3);
    const r = await stage.resolve(f.forwarder, late.msg, late.pq, late.msg, true);
    expect(r).toMatchObject({ ok: true, source: 'cache' });
    expect(f.calls.length).toBe(2); // the refresh went out in the background
    f.answerAll(100);
    await new Promise((resolve) => setImmediate(resolve));
    now += 50_000; // past the old entry's expiry, within the refreshed one
    const after = q(4);
    expect(await stage.resolve(f.forwarder, after.msg, after.pq, after.msg, true)).toMatchObject({ ok: true, source: 'cache' });
    expect(f.calls.length).toBe(2);
  });

  it('works without a cache (cache.enabled: false), still sharing identical queries in flight', async () => {
    const f = scripted();
    const stage = new CacheStage(null, { serveStale: false, prefetch: false });
    const a = q(1);
    const b = q(2);
    const pending = [stage.resolve(f.forwarder, a.msg, a.pq, a.msg, true), stage.resolve(f.forwarder, b.msg, b.pq, b.msg, true)];
    expect(f.calls.length).toBe(1);
    f.answerAll();
    expect((await Promise.all(pending)).every((r) => r.ok)).toBe(true);
    const c = q(3);
    const third = stage.resolve(f.forwarder, c.msg, c.pq, c.msg, true);
    expect(f.calls.length).toBe(2);
    f.answerAll();
    await third;
  });
});

describe('CacheStage: the answer checked on arrival', () => {
  /** An answer whose COOKIE-carrying OPT is followed by another record, so stripping the cookie moves that TTL. */
  function withRecordAfterOpt(query: Buffer, ttl: number): Buffer {
    const cookie = { code: 10, data: Buffer.alloc(24, 0xab) };
    return buildReply(query, { answers: [record(1, ttl, Buffer.from([192, 0, 2, 1]))], additional: [optRecord(1232, [cookie]), record(1, ttl, Buffer.from([192, 0, 2, 2]))] });
  }
  const ttlsOf = (msg: Buffer): number[] => {
    const packet = dns2.Packet.parse(msg);
    return [...packet.answers, ...packet.additionals].filter((rr) => rr.type === 1).map((rr) => rr.ttl);
  };

  it('caps TTLs at cache.maxTtl on the first answer, and keeps the TTL offsets right when the cookie is cut out before the record after it', async () => {
    const f = scripted();
    let now = 1_000_000;
    const cache = new AnswerCache({ maxEntries: 100, maxBytes: 1_000_000, minTtlSec: 0, maxTtlSec: 3600, maxNegativeTtlSec: 3600, staleKeepSec: 0, now: () => now });
    const stage = new CacheStage(cache, { serveStale: false, prefetch: false, maxTtlSec: 3600 });
    const first = q(1);
    const joiner = q(2);
    const pending = [first, joiner].map(({ msg, pq }) => stage.resolve(f.forwarder, msg, pq, msg, true));
    const waiting = f.calls.length;
    expect(waiting).toBe(1);
    // Released by hand, a bare forwarder's result (no layout): the stage checks it itself.
    const answer = withRecordAfterOpt(f.calls[0]!, 2147483647);
    f.resolveWith({ ok: true, answer, upstream, transport: 'udp' });
    const [r1, r2] = await Promise.all(pending);
    expect(r1?.ok && ttlsOf(r1.answer)).toEqual([3600, 3600]);
    expect(r2?.ok && ttlsOf(r2.answer)).toEqual([3600, 3600]);
    now += 10_000;
    const later = q(3);
    const hit = await stage.resolve(f.forwarder, later.msg, later.pq, later.msg, true);
    expect(hit).toMatchObject({ ok: true, source: 'cache' });
    expect(hit.ok && ttlsOf(hit.answer)).toEqual([3590, 3590]);
  });

  it('answers a malformed result from a bare forwarder as malformed, and does not cache it', async () => {
    const f = scripted();
    const stage = new CacheStage(makeCache(Date.now), { serveStale: false, prefetch: false });
    for (const id of [1, 2]) {
      const { msg, pq } = q(id);
      const pending = stage.resolve(f.forwarder, msg, pq, msg, true);
      const bad = buildReply(f.calls[f.calls.length - 1]!, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] });
      bad.writeUInt16BE(3, 6);
      f.resolveWith({ ok: true, answer: bad, upstream, transport: 'udp' });
      expect(await pending).toMatchObject({ ok: false, reason: 'malformed' });
    }
    expect(f.calls).toHaveLength(2);
  });

  it('asks upstream with RD set when the client cleared it', async () => {
    const f = scripted();
    const stage = new CacheStage(null, { serveStale: false, prefetch: false });
    const { msg } = buildQuery({ id: 5, name: 'www.example.org', type: 1 });
    msg[2] = 0;
    const r = parseQuery(msg);
    if (!r.ok) throw new Error('bad query');
    const pending = stage.resolve(f.forwarder, msg, r.query, msg, true);
    expect(f.calls[0]![2]! & 1).toBe(1);
    expect(msg[2]).toBe(0);
    f.answerAll();
    const out = await pending;
    expect(out.ok && out.answer[2]! & 1).toBe(0);
  });
});

