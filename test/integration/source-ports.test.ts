/** Forwarded queries leave from ports an off-path forger cannot guess (RFC 5452): measured at a recording upstream. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, parseHeader, RCODE, udpExchange } from '../helpers/dns-client.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

/** The default `forward.socketPool`: the test config's small pool is taken out, so the shipped behaviour is measured. */
function configWithDefaultPool(upstreamPort: number): Record<string, unknown> {
  const config = testConfig(upstreamPort);
  const { socketPool: _small, ...forward } = config.forward as Record<string, unknown>;
  return { ...config, forward };
}

/** Consecutive pairs of ports at most `gap` apart: what a sequential allocator produces on every query. */
function closePairs(ports: readonly number[], gap: number): number[] {
  const at: number[] = [];
  for (let i = 1; i < ports.length; i++) if (Math.abs(ports[i]! - ports[i - 1]!) <= gap) at.push(i);
  return at;
}

describe('source ports of forwarded queries', () => {
  let upstream: FakeUpstream;
  let hradba: HradbaProcess;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    hradba = await startHradba({ config: configWithDefaultPool(upstream.address.port), lists: { [TEST_LIST]: testvendorList() } });
  });

  afterAll(async () => {
    await hradba?.stop();
    await upstream?.close();
  });

  it('200 queries in a row leave from at least 180 ports, none in a near-sequential run', async () => {
    const first = upstream.calls.length;
    for (let i = 0; i < 200; i++) {
      const reply = await udpExchange(hradba.port, buildQuery({ id: i + 1, name: `port${i}.example.test` }), 3000);
      expect(reply, `query ${i}`).not.toBeNull();
      expect(parseHeader(reply!).rcode).toBe(RCODE.NOERROR);
    }
    const calls = upstream.calls.slice(first).filter((c) => c.transport === 'udp');
    expect(calls).toHaveLength(200);
    const ports = calls.map((c) => c.remote.port);
    expect(new Set(ports).size, ports.join(' ')).toBeGreaterThanOrEqual(180);
    // Random 15-bit ports are within 16 of the previous one about once in 900 pairs; a counter always is.
    const close = closePairs(ports, 16);
    expect(close.length, `close pairs at ${close.join(', ')}: ${ports.join(' ')}`).toBeLessThanOrEqual(3);
    for (let i = 1; i < close.length; i++) expect(close[i]! - close[i - 1]!, 'two near-sequential steps in a row').toBeGreaterThan(1);
  });

  it('queries outstanding at once never share an ID and a port', async () => {
    const first = upstream.calls.length;
    upstream.delay(300);
    try {
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => udpExchange(hradba.port, buildQuery({ id: i + 1, name: `burst${i}.example.test` }), 3000)),
      );
      expect(replies.every((r) => r !== null && parseHeader(r).rcode === RCODE.NOERROR)).toBe(true);
    } finally {
      upstream.delay(0);
    }
    // Slow answers are asked for again (new ID, new port) after the retransmission timeout: copies count too.
    const calls = upstream.calls.slice(first).filter((c) => c.transport === 'udp');
    expect(calls.length).toBeGreaterThanOrEqual(200);
    expect(new Set(calls.map((c) => `${c.remote.port}/${c.id}`)).size).toBe(calls.length);
    expect(new Set(calls.map((c) => c.remote.port)).size).toBeGreaterThanOrEqual(180);
  });
});
