/** The forwarder's per-upstream observer: one report per attempt outcome, against fake upstreams on loopback. */
import { afterEach, describe, expect, it } from 'vitest';
import type { HostPort } from '../../src/config/types.js';
import { createForwarder, type Forwarder, type UpstreamErrorReason } from '../../src/upstream/forwarder.js';
import { buildQuery, buildReply, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const fakes: FakeUpstream[] = [];
const forwarders: Forwarder[] = [];

afterEach(async () => {
  await Promise.all(forwarders.splice(0).map((f) => f.close()));
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

interface Seen {
  answered: Array<{ upstream: HostPort; seconds: number }>;
  failed: Array<{ upstream: HostPort; reason: UpstreamErrorReason }>;
}

async function setup(n: number, attemptTimeoutMs = 100, deadlineMs = 2000): Promise<{ ups: FakeUpstream[]; fwd: Forwarder; seen: Seen }> {
  const ups: FakeUpstream[] = [];
  for (let i = 0; i < n; i++) {
    const f = await startFakeUpstream();
    fakes.push(f);
    ups.push(f);
  }
  const seen: Seen = { answered: [], failed: [] };
  const fwd = createForwarder({
    upstreams: ups.map((u) => u.address),
    attemptTimeoutMs,
    deadlineMs,
    socketPool: 2,
    observer: {
      answered: (upstream, seconds) => seen.answered.push({ upstream, seconds }),
      failed: (upstream, reason) => seen.failed.push({ upstream, reason }),
    },
  });
  forwarders.push(fwd);
  return { ups, fwd, seen };
}

const q = buildQuery({ id: 7, name: 'www.example.org', type: 1 });

describe('forwarder observer', () => {
  it('reports the answering upstream with the time since its attempt was sent', async () => {
    const { ups, fwd, seen } = await setup(1);
    const r = await fwd.forward(q.msg, q.questionEnd);
    expect(r.ok).toBe(true);
    expect(seen.failed).toEqual([]);
    expect(seen.answered).toHaveLength(1);
    expect(seen.answered[0]?.upstream).toBe(ups[0]?.address);
    expect(seen.answered[0]?.seconds).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(seen.answered[0]?.seconds)).toBe(true);
  });

  it('reports a silent upstream as a timeout once, then the next one as answered', async () => {
    const { ups, fwd, seen } = await setup(2);
    ups[0]!.drop();
    const r = await fwd.forward(q.msg, q.questionEnd);
    expect(r.ok).toBe(true);
    expect(seen.failed).toEqual([{ upstream: ups[0]!.address, reason: 'timeout' }]);
    expect(seen.answered.map((a) => a.upstream)).toEqual([ups[1]!.address]);
  });

  it('reports SERVFAIL and REFUSED answers as errors of their upstream, and the timer does not count them again', async () => {
    const { ups, fwd, seen } = await setup(3);
    ups[0]!.answer((query) => buildReply(query, { rcode: 2 }));
    ups[1]!.answer((query) => buildReply(query, { rcode: 5 }));
    const r = await fwd.forward(q.msg, q.questionEnd);
    expect(r.ok).toBe(true);
    expect(seen.failed).toEqual([
      { upstream: ups[0]!.address, reason: 'servfail' },
      { upstream: ups[1]!.address, reason: 'refused' },
    ]);
    expect(seen.answered.map((a) => a.upstream)).toEqual([ups[2]!.address]);
  });

  it('reports every timed-out attempt when no upstream answers before the deadline', async () => {
    const { ups, fwd, seen } = await setup(1, 100, 250);
    ups[0]!.drop();
    const r = await fwd.forward(q.msg, q.questionEnd);
    expect(r).toEqual({ ok: false, reason: 'timeout' });
    expect(seen.answered).toEqual([]);
    expect(seen.failed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seen.failed.map((f) => f.reason))).toEqual(new Set(['timeout']));
    // One report per attempt sent: the last datagram may reach the fake a moment after the result.
    await ups[0]!.waitForCalls(seen.failed.length);
    expect(seen.failed.length).toBe(ups[0]!.calls.length);
  });
});
