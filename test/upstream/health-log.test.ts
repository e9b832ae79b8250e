/** The rate limit on upstream health lines: the first change at once, a burst of flaps as one line with its count. */
import { describe, expect, it } from 'vitest';
import type { Upstream } from '../../src/config/types.js';
import { HealthLog, type HealthEvent } from '../../src/upstream/health-log.js';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';

const up = (text: string): Upstream => {
  const u = upstreamOrError(text);
  if ('error' in u) throw new Error(u.error);
  return u;
};

function recorder(): { lines: { event: HealthEvent; url: string; suppressed: number }[]; log: (quietMs: number) => HealthLog } {
  const lines: { event: HealthEvent; url: string; suppressed: number }[] = [];
  return { lines, log: (quietMs) => new HealthLog((event, u, _fails, _err, suppressed) => lines.push({ event, url: u.url, suppressed }), quietMs) };
}

describe('HealthLog', () => {
  it('tells a down and an up at once and folds the flaps after them into one line on the final state', async () => {
    const { lines, log } = recorder();
    const h = log(150);
    const a = up('192.0.2.1');
    h.changed(0, 'upstream-down', a, 3, null);
    h.changed(0, 'upstream-up', a, 0, null);
    expect(lines).toEqual([
      { event: 'upstream-down', url: a.url, suppressed: 0 },
      { event: 'upstream-up', url: a.url, suppressed: 0 },
    ]);
    for (let i = 0; i < 10; i++) {
      h.changed(0, 'upstream-down', a, 3, null);
      h.changed(0, 'upstream-up', a, 0, null);
    }
    h.changed(0, 'upstream-down', a, 3, null);
    expect(lines).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines[2]).toEqual({ event: 'upstream-down', url: a.url, suppressed: 20 });
    expect(lines).toHaveLength(3);
  });

  it('keeps upstreams apart, and tells what is held back when closed', () => {
    const { lines, log } = recorder();
    const h = log(60_000);
    const [a, b] = [up('192.0.2.1'), up('192.0.2.2')];
    h.changed(0, 'upstream-down', a, 3, null);
    h.changed(1, 'upstream-down', b, 3, null);
    h.changed(0, 'upstream-up', a, 0, null);
    h.changed(0, 'upstream-down', a, 3, null);
    expect(lines.map((l) => `${l.event} ${l.url}`)).toEqual([`upstream-down ${a.url}`, `upstream-down ${b.url}`, `upstream-up ${a.url}`]);
    h.close();
    expect(lines[3]).toEqual({ event: 'upstream-down', url: a.url, suppressed: 0 });
    expect(lines).toHaveLength(4);
  });
});
