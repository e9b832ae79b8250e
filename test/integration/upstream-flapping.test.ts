/** Upstream health in the log: an upstream that fails some names flaps without flooding the log; a dead one is still reported. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, parseHeader, RCODE, udpExchange } from '../helpers/dns-client.js';
import { buildReply, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

const isHealthLine = (l: LogLine): boolean => l['event'] === 'upstream-down' || l['event'] === 'upstream-up';
const of = (u: FakeUpstream) => (l: LogLine): boolean => String(l['upstream']).endsWith(`:${u.address.port}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `bursts` bursts of `size` queries for fresh names `prefix<i>`, one burst every `everyMs`, without waiting
 * for answers; returns the replies. A burst's failures land together, before a probe can answer in between.
 */
async function stream(port: number, prefix: string, bursts: number, size: number, everyMs: number): Promise<(Buffer | null)[]> {
  const pending: Promise<Buffer | null>[] = [];
  for (let b = 0; b < bursts; b++) {
    for (let i = 0; i < size; i++) {
      const n = b * size + i;
      pending.push(udpExchange(port, buildQuery({ id: n + 1, name: `${prefix}${n}.example.test` }), 5000));
    }
    await sleep(everyMs);
  }
  return Promise.all(pending);
}

describe('upstream health lines', () => {
  let lossy: FakeUpstream;
  let good: FakeUpstream;
  let hradba: HradbaProcess;

  beforeAll(async () => {
    [lossy, good] = await Promise.all([startFakeUpstream(), startFakeUpstream()]);
    // The first upstream answers every name but those starting with "bad" (as a resolver stuck on a broken zone).
    lossy.answer((q) => (q.includes(Buffer.from('bad')) ? null : buildReply(q)));
    hradba = await startHradba({
      config: testConfig(lossy.address.port, {
        upstreams: [`127.0.0.1:${lossy.address.port}`, `127.0.0.1:${good.address.port}`],
        // Room for a loaded test machine: the good upstream must not look slow to the pool.
        forward: { attemptTimeout: '500ms', deadline: '3s' },
        // Probed ten times a second: every answered probe could bring the lossy upstream back.
        pool: { strategy: 'sequential', maxFails: 3, probeInterval: '100ms' },
      }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await hradba?.stop();
    await Promise.all([lossy?.close(), good?.close()]);
  });

  it('a stream of failing names costs a handful of lines, and a dead upstream is still reported down', async () => {
    // 3 s of failing names in bursts of 10, each failed over to the good upstream.
    const replies = await stream(hradba.port, 'bad', 12, 10, 250);
    const codes = replies.map((r) => (r === null ? 'lost' : parseHeader(r).rcode));
    expect(codes.filter((c) => c !== RCODE.NOERROR), JSON.stringify(hradba.logs().filter(isHealthLine))).toEqual([]);
    expect(lossy.calls.some((c) => c.query.includes(Buffer.from('bad')))).toBe(true);
    const flapping = hradba.logs().filter(isHealthLine);
    expect(flapping.filter(of(lossy)).length, JSON.stringify(flapping)).toBeGreaterThanOrEqual(1);
    expect(flapping.length, JSON.stringify(flapping)).toBeLessThanOrEqual(3);

    // Now both stop answering: the good one, never reported before, is reported down as it dies.
    lossy.drop();
    good.drop();
    const down = hradba.waitForLog((l) => l['event'] === 'upstream-down' && of(good)(l), 15_000);
    const asked = stream(hradba.port, 'dead', 40, 1, 100);
    const line = await down;
    expect(line['level']).toBe('warn');
    await asked;
    expect(hradba.logs().filter(isHealthLine).length).toBeLessThanOrEqual(5);
  });
});
