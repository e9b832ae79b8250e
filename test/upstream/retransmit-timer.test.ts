/** The UDP retransmission timeout: the attempt time until measured, then RFC 6298 with a floor, doubling per copy. */
import { describe, expect, it } from 'vitest';
import { MIN_RETRANSMIT_MS, RetransmitTimer } from '../../src/upstream/retransmit-timer.js';

describe('RetransmitTimer', () => {
  it('waits the whole attempt time before the first reply', () => {
    expect(new RetransmitTimer().timeoutMs(0, 1500)).toBe(1500);
  });

  it('follows the measured round trip, never below the floor, doubling per copy up to the cap', () => {
    const t = new RetransmitTimer();
    for (let i = 0; i < 50; i++) t.sample(1);
    expect(t.timeoutMs(0, 1500)).toBe(MIN_RETRANSMIT_MS);
    expect(t.timeoutMs(1, 1500)).toBe(2 * MIN_RETRANSMIT_MS);
    expect(t.timeoutMs(3, 1500)).toBe(8 * MIN_RETRANSMIT_MS);
    expect(t.timeoutMs(10, 1500)).toBe(1500);
    const slow = new RetransmitTimer();
    for (let i = 0; i < 50; i++) slow.sample(i % 2 === 0 ? 100 : 300);
    // srtt near 200, deviation near 100: srtt + 4 deviations is well above either sample.
    expect(slow.timeoutMs(0, 5000)).toBeGreaterThan(400);
    expect(slow.timeoutMs(0, 5000)).toBeLessThan(800);
  });
});
