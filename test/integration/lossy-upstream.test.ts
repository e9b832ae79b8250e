/** The only upstream loses datagrams but answers: queries are retried (new ID, new port) and answered, and it is never marked down. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, parseHeader, RCODE, udpExchange } from '../helpers/dns-client.js';
import { buildReply, questionEndOf, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** The question of a query as the key of "the same query": name (case folded), type and class. */
const questionOf = (q: Buffer): string => q.subarray(12, questionEndOf(q)).toString('latin1').toLowerCase();

describe('an only upstream that drops the first copy of every query', () => {
  let upstream: FakeUpstream;
  let hradba: HradbaProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const seen = new Set<string>();
    upstream.answer((q) => {
      const key = questionOf(q);
      if (seen.has(key)) return buildReply(q);
      seen.add(key);
      return null;
    });
    const config = testConfig(upstream.address.port);
    // The default socket pool, so every copy can leave from a port of its own.
    const { socketPool: _small, ...forward } = config.forward as Record<string, unknown>;
    hradba = await startHradba({ config: { ...config, forward }, lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
    await upstream?.close();
  });

  it('answers every query after a retry and never takes the upstream out of service', async () => {
    const names: string[] = [];
    // Three bursts of 20 at once: every first copy of a burst is lost together, as under a rate limit.
    for (let burst = 0; burst < 3; burst++) {
      const batch = Array.from({ length: 20 }, (_, i) => `lossy${burst}-${i}.example.test`);
      names.push(...batch);
      const replies = await Promise.all(batch.map((name, i) => udpExchange(hradba.port, buildQuery({ id: i + 1, name }), 5000)));
      expect(replies.map((r) => (r === null ? 'lost' : parseHeader(r).rcode))).toEqual(batch.map(() => RCODE.NOERROR));
    }
    expect(hradba.logs().filter((l) => l['event'] === 'upstream-down')).toEqual([]);
    for (const name of names) {
      const copies = upstream.calls.filter((c) => c.transport === 'udp' && questionOf(c.query).includes(name.split('.')[0]!));
      expect(copies.length, name).toBeGreaterThanOrEqual(2);
      // The retry is a new query: its own ID and its own source port.
      expect(copies[1]!.id, name).not.toBe(copies[0]!.id);
      expect(copies[1]!.remote.port, name).not.toBe(copies[0]!.remote.port);
    }
  });
});
