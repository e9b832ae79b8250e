/** The upstream pool over real loopback sockets with fake upstreams: strategies, health, in-flight bounds, all down. */
import { afterEach, describe, expect, it } from 'vitest';
import type { PoolStrategy, Upstream } from '../../src/config/types.js';
import { createUpstreamPool, type UpstreamPool } from '../../src/upstream/upstream-pool.js';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';
import { buildQuery, buildReply, startFakeUpstream, waitFor, type FakeUpstream } from '../helpers/fake-upstream.js';

const open: { pools: UpstreamPool[]; fakes: FakeUpstream[] } = { pools: [], fakes: [] };

afterEach(async () => {
  await Promise.all(open.pools.splice(0).map((p) => p.close()));
  await Promise.all(open.fakes.splice(0).map((f) => f.close()));
});

async function fakes(n: number): Promise<FakeUpstream[]> {
  const list = await Promise.all(Array.from({ length: n }, () => startFakeUpstream()));
  open.fakes.push(...list);
  return list;
}

function url(f: FakeUpstream, scheme = 'udp'): Upstream {
  const u = upstreamOrError(`${scheme}://127.0.0.1:${f.address.port}`);
  if ('error' in u) throw new Error(u.error);
  return u;
}

function pool(
  upstreams: Upstream[],
  o: { strategy?: PoolStrategy; maxFails?: number; maxInFlight?: number; attemptTimeoutMs?: number; events?: string[] } = {},
): UpstreamPool {
  const p = createUpstreamPool({
    upstreams,
    strategy: o.strategy ?? 'sequential',
    attemptTimeoutMs: o.attemptTimeoutMs ?? 200,
    deadlineMs: 1500,
    socketPool: 2,
    maxFails: o.maxFails ?? 2,
    probeIntervalMs: 100,
    maxInFlight: o.maxInFlight ?? 100,
    onHealth: (event, u) => o.events?.push(`${event} ${u.port}`),
    // Every change told at once: these tests follow the health state, the rate limit has its own tests.
    healthLogQuietMs: 0,
  });
  open.pools.push(p);
  return p;
}

const ask = (p: UpstreamPool, name = 'www.example.org') => {
  const { msg, questionEnd } = buildQuery({ id: 1, name, type: 1 });
  return p.forward(msg, questionEnd);
};

describe('upstream pool', () => {
  it('sequential: the first upstream takes every query while it answers', async () => {
    const [a, b] = await fakes(2);
    const p = pool([url(a!), url(b!)]);
    for (let i = 0; i < 5; i++) expect((await ask(p)).ok).toBe(true);
    expect(a!.calls.length).toBe(5);
    expect(b!.calls.length).toBe(0);
    // The UDP counters come from the shared UDP forwarder.
    expect(p.stats).toMatchObject({ queries: 5, udpSent: 5, timeouts: 0 });
    expect(p.stats.socketsOpened).toBeGreaterThan(0);
  });

  it('round-robin: queries are spread over every upstream', async () => {
    const fs = await fakes(3);
    const p = pool(fs.map((f) => url(f)), { strategy: 'round-robin' });
    for (let i = 0; i < 9; i++) expect((await ask(p)).ok).toBe(true);
    expect(fs.map((f) => f.calls.length)).toEqual([3, 3, 3]);
  });

  it('fastest: the quicker upstream gets most queries', async () => {
    const [slow, quick] = await fakes(2);
    slow!.delay(60);
    const p = pool([url(slow!), url(quick!)], { strategy: 'fastest' });
    for (let i = 0; i < 40; i++) expect((await ask(p)).ok).toBe(true);
    expect(quick!.calls.length).toBeGreaterThan(slow!.calls.length * 3);
  });

  it('marks a silent upstream down after maxFails, skips it, and takes it back once a probe is answered', async () => {
    const [a, b] = await fakes(2);
    a!.drop();
    const events: string[] = [];
    const p = pool([url(a!), url(b!)], { events });
    for (let i = 0; i < 2; i++) expect((await ask(p)).ok).toBe(true); // each waits one attempt timeout, then b answers
    expect(events).toEqual([`upstream-down ${a!.address.port}`]);
    const callsWhileDown = a!.calls.length;
    const answered = await ask(p);
    expect(answered.ok).toBe(true);
    // Only probes reach a while it is down, never the client's query.
    expect(a!.calls.slice(callsWhileDown).every((c) => c.query.readUInt16BE(4) === 1 && c.query[12] === 0)).toBe(true);
    a!.answer((q) => buildReply(q));
    await waitFor(() => events.length === 2, 'the probe to bring a back');
    expect(events[1]).toBe(`upstream-up ${a!.address.port}`);
    expect(p.health()[0]!.down).toBe(false);
  });

  it('keeps an upstream that misses some queries but answers the probe sent after each miss', async () => {
    const [a, b] = await fakes(2);
    // a never answers names with 'slow' in them (as a resolver stuck on a broken zone), but answers everything else.
    a!.answer((q) => (q.includes(Buffer.from('slow')) ? null : buildReply(q)));
    const events: string[] = [];
    const p = pool([url(a!), url(b!)], { events });
    for (let i = 0; i < 4; i++) expect((await ask(p, `slow${i}.example.org`)).ok).toBe(true);
    await waitFor(() => p.health()[0]!.fails === 0, 'the probe after the last miss');
    expect(events).toEqual([]);
    const probes = a!.calls.filter((c) => c.query[12] === 0);
    expect(probes.length).toBeGreaterThanOrEqual(4);
    expect(p.health()[0]!.down).toBe(false);
  });

  it('fails at once with all-down when every upstream is down', async () => {
    const [a] = await fakes(1);
    a!.drop();
    const p = pool([url(a!)], { maxFails: 1 });
    expect(await ask(p)).toEqual({ ok: false, reason: 'timeout' });
    const before = a!.calls.length;
    expect(await ask(p)).toEqual({ ok: false, reason: 'all-down' });
    // The all-down answer did not send anything (only probes may have gone out meanwhile).
    expect(a!.calls.slice(before).every((c) => c.query[12] === 0)).toBe(true);
  });

  it('relays SERVFAIL only when no other upstream does better', async () => {
    const [a, b] = await fakes(2);
    a!.answer((q) => buildReply(q, { rcode: 2 }));
    const p = pool([url(a!), url(b!)]);
    const r = await ask(p);
    expect(r.ok && (r.answer[3]! & 0x0f)).toBe(0);
    expect(b!.calls.length).toBe(1);
    b!.answer((q) => buildReply(q, { rcode: 2 }));
    const both = await ask(p, 'other.example.org');
    expect(both.ok && (both.answer[3]! & 0x0f)).toBe(2);
  });

  it('skips an upstream at its in-flight bound, and fails a query at once when all are full', async () => {
    const [a, b] = await fakes(2);
    a!.delay(300);
    const p = pool([url(a!), url(b!)], { maxInFlight: 2, attemptTimeoutMs: 1000 });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => ask(p, `n${i}.example.org`)));
    // a holds two (slow), b takes the next two; the fifth finds both at their bound.
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    expect(a!.calls.length).toBe(2);
    expect(b!.calls.length).toBe(2);
  });

  it('reuses one TCP connection for many queries', async () => {
    const [a] = await fakes(1);
    const p = pool([url(a!, 'tcp')]);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ask(p, `n${i}.example.org`)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(a!.calls.length).toBe(10);
    expect(new Set(a!.calls.map((c) => c.remote.port)).size).toBe(1);
    expect(a!.calls.every((c) => c.transport === 'tcp')).toBe(true);
  });
});
