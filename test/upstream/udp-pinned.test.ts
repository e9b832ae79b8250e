/** The UDP forwarder pinned to one upstream (as an upstream pool uses it): only that upstream is asked, again after each attempt timeout. */
import { afterEach, describe, expect, it } from 'vitest';
import { createForwarder } from '../../src/upstream/forwarder.js';
import { buildQuery, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';

const fakes: FakeUpstream[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

describe('createForwarder().exchangeWith', () => {
  it('sends to the chosen upstream only, resending there, and never fails over', async () => {
    const [a, b] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    fakes.push(a, b);
    b.drop();
    const f = createForwarder({ upstreams: [a.address, b.address], attemptTimeoutMs: 100, deadlineMs: 1000, socketPool: 2 });
    try {
      const { msg, questionEnd } = buildQuery({ id: 1, name: 'www.example.org', type: 1 });
      const r = await f.exchangeWith(1, msg, questionEnd, 350).promise;
      expect(r).toEqual({ ok: false, reason: 'timeout' });
      expect(a.calls.length).toBe(0);
      expect(b.calls.length).toBeGreaterThanOrEqual(2);
      const answered = await f.exchangeWith(0, msg, questionEnd, 350).promise;
      expect(answered.ok).toBe(true);
      expect(a.calls.length).toBe(1);
      expect((await f.exchangeWith(2, msg, questionEnd, 350).promise).ok).toBe(false);
    } finally {
      await f.close();
    }
  });
});
