/** Readiness: policy loaded, then a recent upstream answer or one shared probe through the forwarder. */
import { describe, expect, it } from 'vitest';
import { createReadiness, RECENT_MS } from '../../src/admin/readiness.js';
import type { ForwardResult, Forwarder } from '../../src/upstream/types.js';

/** A forwarder that records probe calls and answers each with the result the test releases. */
function probeForwarder(): { forwarder: Forwarder; calls: Buffer[]; release: (r: ForwardResult) => void } {
  const calls: Buffer[] = [];
  const pending: Array<(r: ForwardResult) => void> = [];
  const forwarder = {
    stats: {} as Forwarder['stats'],
    forward(query: Buffer): Promise<ForwardResult> {
      calls.push(query);
      return new Promise((resolve) => pending.push(resolve));
    },
    close: () => Promise.resolve(),
  } satisfies Forwarder;
  return { forwarder, calls, release: (r) => pending.splice(0).forEach((p) => p(r)) };
}

const ANSWER: ForwardResult = { ok: true, answer: Buffer.alloc(12), upstream: { host: '127.0.0.1', port: 53 }, transport: 'udp' };

describe('createReadiness', () => {
  it('is not ready before the policy is loaded', async () => {
    const check = createReadiness({ forwarder: () => null, lastUpstreamAnswerMs: () => Date.now() });
    expect(await check()).toEqual({ ready: false, reason: 'policy not loaded' });
  });

  it('is ready on a recent upstream answer without sending a probe', async () => {
    const p = probeForwarder();
    const check = createReadiness({ forwarder: () => p.forwarder, lastUpstreamAnswerMs: () => Date.now() - 1000 });
    expect(await check()).toEqual({ ready: true, reason: 'upstream answered recently' });
    expect(p.calls).toEqual([]);
  });

  it('sends one probe (root NS) for concurrent checks when the last answer is old, and follows its result', async () => {
    const p = probeForwarder();
    const check = createReadiness({ forwarder: () => p.forwarder, lastUpstreamAnswerMs: () => Date.now() - RECENT_MS - 1 });
    const a = check();
    const b = check();
    expect(p.calls).toHaveLength(1);
    // Question: root name (one zero byte), QTYPE NS (2), QCLASS IN (1).
    expect([...p.calls[0]!.subarray(12)]).toEqual([0, 0, 2, 0, 1]);
    p.release(ANSWER);
    expect(await a).toEqual({ ready: true, reason: 'upstream answered a probe' });
    expect(await b).toEqual({ ready: true, reason: 'upstream answered a probe' });

    const c = check();
    expect(p.calls).toHaveLength(2);
    p.release({ ok: false, reason: 'timeout' });
    expect(await c).toEqual({ ready: false, reason: 'no upstream answered a probe (timeout)' });
  });

  it('probes when no upstream has answered yet', async () => {
    const p = probeForwarder();
    const check = createReadiness({ forwarder: () => p.forwarder, lastUpstreamAnswerMs: () => null });
    const r = check();
    expect(p.calls).toHaveLength(1);
    p.release({ ok: false, reason: 'closed' });
    expect((await r).ready).toBe(false);
  });
});
