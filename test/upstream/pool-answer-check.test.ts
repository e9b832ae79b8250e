/** The upstream pool checks every answer on arrival, whatever the transport: a malformed one is a failed attempt. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Upstream } from '../../src/config/types.js';
import { createUpstreamPool, type UpstreamPool } from '../../src/upstream/upstream-pool.js';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';
import { buildQuery, buildReply, record, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const open: { pools: UpstreamPool[]; fakes: FakeUpstream[] } = { pools: [], fakes: [] };

afterEach(async () => {
  await Promise.all(open.pools.splice(0).map((p) => p.close()));
  await Promise.all(open.fakes.splice(0).map((f) => f.close()));
});

async function fake(): Promise<FakeUpstream> {
  const f = await startFakeUpstream();
  open.fakes.push(f);
  return f;
}

function url(f: FakeUpstream, scheme: string): Upstream {
  const u = upstreamOrError(`${scheme}://127.0.0.1:${f.address.port}`);
  if ('error' in u) throw new Error(u.error);
  return u;
}

function pool(upstreams: Upstream[]): UpstreamPool {
  const p = createUpstreamPool({
    upstreams,
    strategy: 'sequential',
    attemptTimeoutMs: 300,
    deadlineMs: 1500,
    socketPool: 2,
    maxFails: 3,
    probeIntervalMs: 100,
    maxInFlight: 100,
  });
  open.pools.push(p);
  return p;
}

/** An answer whose ANCOUNT promises 65,535 records where one follows. */
function lyingCount(query: Buffer): Buffer {
  const r = buildReply(query, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] });
  r.writeUInt16BE(65535, 6);
  return r;
}

describe.each(['udp', 'tcp'])('upstream pool over %s', (scheme) => {
  it('asks the next upstream after a malformed answer, and hands over the checked layout', async () => {
    const [bad, good] = [await fake(), await fake()];
    bad.answer(lyingCount);
    const p = pool([url(bad, scheme), url(good, scheme)]);
    const { msg, questionEnd } = buildQuery({ id: 1, name: 'www.example.org', type: 1 });
    const r = await p.forward(msg, questionEnd);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.upstream.port).toBe(good.address.port);
    expect(r.layout?.answerMin).toBe(300);
    expect(bad.calls.length).toBeGreaterThan(0);
  });

  it('fails with malformed, at once, when the only upstream answers malformed', async () => {
    const bad = await fake();
    bad.answer(lyingCount);
    const p = pool([url(bad, scheme)]);
    const { msg, questionEnd } = buildQuery({ id: 2, name: 'www.example.org', type: 1 });
    expect(await p.forward(msg, questionEnd)).toEqual({ ok: false, reason: 'malformed' });
    expect(p.stats.timeouts).toBe(0);
  });

  it('drops bytes after the last record from the answer it hands over', async () => {
    const f = await fake();
    f.answer((q) => Buffer.concat([buildReply(q, { answers: [record(1, 300, Buffer.from([192, 0, 2, 1]))] }), Buffer.from('xyz')]));
    const p = pool([url(f, scheme)]);
    const { msg, questionEnd } = buildQuery({ id: 3, name: 'www.example.org', type: 1 });
    const r = await p.forward(msg, questionEnd);
    expect(r.ok && r.answer.subarray(-3).toString()).not.toBe('xyz');
    expect(r.ok && r.answer.length).toBe(r.ok ? r.layout?.length : -1);
  });
});
