/** The answer cache on raw messages: what is stored, TTL countdown on serve, clamps, LRU bounds, stale window, flush. */
import { describe, expect, it } from 'vitest';
import { AnswerCache, type AnswerCacheOptions } from '../../src/cache/answer-cache.js';
import { readAnswerTtls } from '../../src/cache/answer-ttl.js';
import { cacheKey } from '../../src/cache/cache-key.js';
import { parseQuery } from '../../src/dns/query.js';
import type { ParsedQuery } from '../../src/dns/types.js';
import { buildQuery, buildReply, optRecord, record } from '../helpers/fake-upstream.js';

/** An SOA record owned by the question name: TTL `ttl`, MINIMUM `minimum`. */
function soa(ttl: number, minimum: number): Buffer {
  const rdata = Buffer.alloc(2 + 2 + 20);
  rdata.writeUInt16BE(0xc00c, 0); // MNAME
  rdata.writeUInt16BE(0xc00c, 2); // RNAME
  rdata.writeUInt32BE(1, 4);
  rdata.writeUInt32BE(3600, 8);
  rdata.writeUInt32BE(600, 12);
  rdata.writeUInt32BE(86400, 16);
  rdata.writeUInt32BE(minimum, 20);
  return record(6, ttl, rdata);
}

/** A reply with an AUTHORITY section (buildReply has none). */
function withAuthority(reply: Buffer, authority: Buffer[]): Buffer {
  const out = Buffer.concat([reply, ...authority]);
  out.writeUInt16BE(authority.length, 8);
  return out;
}

function parsed(msg: Buffer): ParsedQuery {
  const r = parseQuery(msg);
  if (!r.ok) throw new Error(r.failure.reason);
  return r.query;
}

function setup(opts: Partial<AnswerCacheOptions> = {}) {
  let now = 1_000_000;
  const cache = new AnswerCache({
    maxEntries: 100,
    maxBytes: 1_000_000,
    minTtlSec: 0,
    maxTtlSec: 86400,
    maxNegativeTtlSec: 3600,
    staleKeepSec: 0,
    now: () => now,
    ...opts,
  });
  return { cache, advance: (ms: number) => (now += ms) };
}

const A = (ttl: number, last = 1): Buffer => record(1, ttl, Buffer.from([192, 0, 2, last]));

describe('readAnswerTtls', () => {
  const { msg, questionEnd } = buildQuery({ id: 1, name: 'www.example.org', type: 1 });

  it('finds every TTL but the OPT one, and the lifetime is the smallest answer TTL', () => {
    const reply = buildReply(msg, { answers: [A(300), A(120, 2)], additional: [optRecord(1232)] });
    const r = readAnswerTtls(reply, questionEnd);
    expect(r).not.toBeNull();
    expect([...r!.ttls]).toEqual([300, 120]);
    expect(r!.lifetime).toBe(120);
    expect(r!.negative).toBe(false);
  });

  it('takes the negative TTL from the SOA: the smaller of its TTL and MINIMUM (RFC 2308)', () => {
    const nx = withAuthority(buildReply(msg, { rcode: 3 }), [soa(3600, 300)]);
    expect(readAnswerTtls(nx, questionEnd)).toMatchObject({ lifetime: 300, negative: true });
    const nodata = withAuthority(buildReply(msg), [soa(60, 300)]);
    expect(readAnswerTtls(nodata, questionEnd)).toMatchObject({ lifetime: 60, negative: true });
  });

  it.each([
    ['SERVFAIL', () => buildReply(msg, { rcode: 2 })],
    ['REFUSED', () => buildReply(msg, { rcode: 5 })],
    ['a truncated answer', () => buildReply(msg, { tc: true, answers: [A(300)] })],
    ['a negative answer without an SOA', () => buildReply(msg, { rcode: 3 })],
    ['a record running past the end', () => buildReply(msg, { answers: [A(300)] }).subarray(0, questionEnd + 8)],
    ['a count promising more records than there are', () => {
      const r = buildReply(msg, { answers: [A(300)] });
      r.writeUInt16BE(5, 6);
      return r;
    }],
  ])('refuses %s', (_what, make) => {
    expect(readAnswerTtls(make(), questionEnd)).toBeNull();
  });
});

describe('AnswerCache', () => {
  const { msg, questionEnd } = buildQuery({ id: 7, name: 'www.example.org', type: 1 });
  const q = parsed(msg);
  const key = cacheKey(q);

  it('serves with the client ID, the client question case and TTLs lowered by the time spent cached', () => {
    const { cache, advance } = setup();
    expect(cache.store(key, buildReply(msg, { answers: [A(300), A(100, 2)] }), questionEnd)).toBe(true);
    advance(42_500);
    const client = buildQuery({ id: 0xbeef, name: 'WWW.Example.ORG', type: 1 });
    const cq = parsed(client.msg);
    expect(cacheKey(cq)).toBe(key);
    const entry = cache.lookup(key)!;
    expect(cache.isFresh(entry)).toBe(true);
    const out = cache.answer(entry, client.msg, cq)!;
    expect(out.readUInt16BE(0)).toBe(0xbeef);
    expect(out.subarray(12, questionEnd)).toEqual(client.msg.subarray(12, questionEnd));
    // Both records are capped at the entry's lifetime (100 s), then lowered by 42 s.
    expect(out.readUInt32BE(questionEnd + 6)).toBe(58);
    expect(out.readUInt32BE(questionEnd + 16 + 6)).toBe(58);
  });

  it('expires an entry after its lifetime', () => {
    const { cache, advance } = setup();
    cache.store(key, buildReply(msg, { answers: [A(10)] }), questionEnd);
    advance(10_000);
    expect(cache.lookup(key)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('clamps lifetimes to minTtl and maxTtl, and negative ones to maxNegativeTtl', () => {
    const { cache } = setup({ minTtlSec: 60, maxTtlSec: 600, maxNegativeTtlSec: 30 });
    cache.store(key, buildReply(msg, { answers: [A(5)] }), questionEnd);
    expect(cache.lookup(key)!.ttl).toBe(60);
    cache.store(key, buildReply(msg, { answers: [A(86400)] }), questionEnd);
    expect(cache.lookup(key)!.ttl).toBe(600);
    cache.store(key, withAuthority(buildReply(msg, { rcode: 3 }), [soa(3600, 900)]), questionEnd);
    expect(cache.lookup(key)!.ttl).toBe(30);
  });

  it('evicts the least recently used entry when over maxEntries', () => {
    const { cache } = setup({ maxEntries: 3 });
    const keys = ['a', 'b', 'c', 'd'].map((n) => {
      const qq = buildQuery({ id: 1, name: `${n}.example.org`, type: 1 });
      return { k: cacheKey(parsed(qq.msg)), qq };
    });
    for (const { k, qq } of keys.slice(0, 3)) cache.store(k, buildReply(qq.msg, { answers: [A(300)] }), qq.questionEnd);
    cache.lookup(keys[0]!.k); // 'a' is now the most recently used
    const d = keys[3]!;
    cache.store(d.k, buildReply(d.qq.msg, { answers: [A(300)] }), d.qq.questionEnd);
    expect(cache.size).toBe(3);
    expect(cache.lookup(keys[1]!.k)).toBeUndefined();
    expect(cache.lookup(keys[0]!.k)).toBeDefined();
    expect(cache.stats.evicted).toBe(1);
  });

  it('evicts by bytes when over maxBytes', () => {
    const { cache } = setup({ maxBytes: 5_000 });
    for (let i = 0; i < 20; i++) {
      const qq = buildQuery({ id: 1, name: `n${i}.example.org`, type: 1 });
      cache.store(cacheKey(parsed(qq.msg)), buildReply(qq.msg, { answers: [A(300)] }), qq.questionEnd);
    }
    expect(cache.byteSize).toBeLessThanOrEqual(5_000);
    expect(cache.size).toBeGreaterThan(0);
    expect(cache.size).toBeLessThan(20);
  });

  it('keeps expired entries for the stale window and serves them with TTL 30', () => {
    const { cache, advance } = setup({ staleKeepSec: 3600 });
    cache.store(key, buildReply(msg, { answers: [A(60)] }), questionEnd);
    advance(120_000);
    const entry = cache.lookup(key)!;
    expect(cache.isFresh(entry)).toBe(false);
    const out = cache.answer(entry, msg, q, 30)!;
    expect(out.readUInt32BE(questionEnd + 6)).toBe(30);
    advance(3600_000);
    expect(cache.lookup(key)).toBeUndefined();
  });

  it('removes the OPT for a client without EDNS and still rewrites the TTLs', () => {
    const { cache, advance } = setup();
    cache.store(key, buildReply(msg, { answers: [A(300)], additional: [optRecord(1232)] }), questionEnd);
    advance(5_000);
    const out = cache.answer(cache.lookup(key)!, msg, q)!;
    expect(out.readUInt16BE(10)).toBe(0);
    expect(out.readUInt32BE(questionEnd + 6)).toBe(295);
  });

  it('keys DO, CD and EDNS use apart', () => {
    const plain = cacheKey(parsed(buildQuery({ id: 1, name: 'x.example', type: 1 }).msg));
    const edns = cacheKey(parsed(buildQuery({ id: 1, name: 'x.example', type: 1, additional: [optRecord(1232)] }).msg));
    const cd = Buffer.from(buildQuery({ id: 1, name: 'x.example', type: 1 }).msg);
    cd[3] = 0x10;
    const aaaa = cacheKey(parsed(buildQuery({ id: 1, name: 'x.example', type: 28 }).msg));
    expect(new Set([plain, edns, cacheKey(parsed(cd)), aaaa]).size).toBe(4);
  });

  it('flush empties it', () => {
    const { cache } = setup();
    cache.store(key, buildReply(msg, { answers: [A(300)] }), questionEnd);
    expect(cache.flush()).toBe(1);
    expect(cache.lookup(key)).toBeUndefined();
    expect(cache.byteSize).toBe(0);
  });
});
