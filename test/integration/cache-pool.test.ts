/**
 * hradba in front of real Unbound upstreams: cache hits with lowered TTLs, negative caching, policy above the cache
 * (a name banned by SIGHUP while cached is sinkholed), SIGUSR1 flush, conditional forwarding (also over a locally
 * served zone), private reverse lookups kept local, failover when an upstream is killed and recovery when it returns,
 * SERVFAIL at once when all are down, and DoT to the upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, rdata, type DigAnswer } from '../helpers/dig.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { makeTestCa, type TestCa } from '../helpers/test-certs.js';
import { startUnbound, type UnboundServer } from '../helpers/unbound.js';
import { delay } from '../helpers/wait.js';

const NAME = 'dns.test.example';
const RECORDS = [
  'www.zone.test. 300 IN A 192.0.2.10',
  'mail.zone.test. 300 IN A 192.0.2.11',
  ...Array.from({ length: 40 }, (_, i) => `h${i}.zone.test. 300 IN A 192.0.2.${100 + i}`),
];

let certDir: string;
let ca: TestCa;
let primary: UnboundServer;
let secondary: UnboundServer;
let corp: UnboundServer;

async function ask(h: HradbaProcess, name: string, type = 'A', extra: string[] = []): Promise<DigAnswer> {
  return parseDig((await dig({ port: h.port }, [name, type, '+timeout=5', ...extra])).stdout);
}

/** The TTL of the first record of a section line 'name ttl IN type data'. */
const ttlOf = (line: string | undefined): number => Number((line ?? '').split(' ')[1]);

beforeAll(async () => {
  certDir = makeTempDir('certs');
  ca = makeTestCa(certDir);
  const tls = ca.issue(NAME);
  [primary, secondary, corp] = await Promise.all([
    startUnbound({ records: RECORDS, tls }),
    startUnbound({ records: RECORDS.map((r) => r.replace(/ 192\.0\.2\.10$/, ' 192.0.2.20')) }),
    startUnbound({
      zone: 'corp.test',
      extraZones: ['168.192.in-addr.arpa'],
      records: ['dc1.corp.test. 300 IN A 10.0.0.10', '1.0.168.192.in-addr.arpa. 300 IN PTR dc1.corp.test.'],
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([primary?.stop(), secondary?.stop(), corp?.stop()]);
  removeTempDir(certDir);
});

describe('cache, policy above it, conditional forwarding', () => {
  let h: HradbaProcess;

  beforeAll(async () => {
    h = await startHradba({
      config: testConfig(primary.port, {
        forwardZones: [
          { zone: 'corp.test', upstreams: [`127.0.0.1:${corp.port}`] },
          { zone: '168.192.in-addr.arpa', upstreams: [`127.0.0.1:${corp.port}`] },
        ],
      }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it('answers a repeated query from the cache, with the TTL lowered and no second upstream query', async () => {
    const before = await primary.queries();
    const first = await ask(h, 'www.zone.test');
    expect(first.status).toBe('NOERROR');
    expect(rdata(first, 'A')).toEqual(['192.0.2.10']);
    expect(ttlOf(first.answer[0])).toBe(300);
    await delay(2100);
    const second = await ask(h, 'WwW.ZoNe.TeSt');
    expect(second.status).toBe('NOERROR');
    expect(rdata(second, 'A')).toEqual(['192.0.2.10']);
    // The client's own question case comes back; the TTL counts down while cached.
    expect(second.question[0]).toContain('WwW.ZoNe.TeSt.');
    expect(ttlOf(second.answer[0])).toBeLessThanOrEqual(298);
    expect(ttlOf(second.answer[0])).toBeGreaterThan(250);
    expect((await primary.queries()) - before).toBe(1);
  });

  it('caches a negative answer (NXDOMAIN with the SOA) for its negative TTL', async () => {
    const before = await primary.queries();
    const first = await ask(h, 'nope.zone.test');
    const second = await ask(h, 'nope.zone.test');
    expect(first.status).toBe('NXDOMAIN');
    expect(second.status).toBe('NXDOMAIN');
    expect(second.authority[0]).toContain('SOA');
    // The negative TTL is min(SOA TTL 3600, MINIMUM 300).
    expect(ttlOf(second.authority[0])).toBeLessThanOrEqual(300);
    expect((await primary.queries()) - before).toBe(1);
  });

  it('keeps DO-bit queries apart from plain ones in the cache', async () => {
    const before = await primary.queries();
    await ask(h, 'mail.zone.test');
    await ask(h, 'mail.zone.test', 'A', ['+dnssec']);
    await ask(h, 'mail.zone.test', 'A', ['+dnssec']);
    expect((await primary.queries()) - before).toBe(2);
  });

  it('sends a forwardZones zone to its own upstream, never to the default one', async () => {
    const before = await primary.queries();
    const beforeCorp = await corp.queries();
    const a = await ask(h, 'dc1.corp.test');
    expect(a.status).toBe('NOERROR');
    expect(rdata(a, 'A')).toEqual(['10.0.0.10']);
    expect(await primary.queries()).toBe(before);
    expect((await corp.queries()) - beforeCorp).toBe(1);
  });

  it('forwards a locally served private reverse zone when a rule names it', async () => {
    const beforeCorp = await corp.queries();
    const ptr = await ask(h, '1.0.168.192.in-addr.arpa', 'PTR');
    expect(ptr.status).toBe('NOERROR');
    expect(rdata(ptr, 'PTR')).toEqual(['dc1.corp.test.']);
    expect((await corp.queries()) - beforeCorp).toBe(1);
  });

  it('answers other private reverse lookups locally: the public upstream never sees them', async () => {
    const before = await primary.queries();
    const ptr = await ask(h, '5.0.0.10.in-addr.arpa', 'PTR');
    expect(ptr.status).toBe('NXDOMAIN');
    const ptr6 = await ask(h, '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa', 'PTR');
    expect(ptr6.status).toBe('NXDOMAIN');
    expect(await primary.queries()).toBe(before);
  });

  it('sinkholes a cached name as soon as a reload bans it, and keeps the rest of the cache', async () => {
    const cached = await ask(h, 'www.zone.test');
    expect(rdata(cached, 'A')).toEqual(['192.0.2.10']);
    const before = await primary.queries();
    const reloads = h.logs().filter((l: LogLine) => l['event'] === 'reload').length;
    h.writeList(TEST_LIST, testvendorList(['www.zone.test']));
    h.kill('SIGHUP');
    await h.waitForLog((l) => l['event'] === 'reload' && l['ok'] === true && h.logs().filter((x) => x['event'] === 'reload').length > reloads, 10_000);
    const banned = await ask(h, 'www.zone.test');
    expect(banned.status).toBe('NXDOMAIN');
    expect(banned.ede?.code).toBe(15);
    // Another cached name is still answered from the cache after the reload.
    const other = await ask(h, 'nope.zone.test');
    expect(other.status).toBe('NXDOMAIN');
    expect(other.ede).toBeNull();
    expect(await primary.queries()).toBe(before);
  });

  it('empties the cache on SIGUSR1', async () => {
    await ask(h, 'h1.zone.test');
    const before = await primary.queries();
    await ask(h, 'h1.zone.test');
    expect(await primary.queries()).toBe(before);
    h.kill('SIGUSR1');
    const flushed = await h.waitForLog((l) => l['event'] === 'cache-flush', 5000);
    expect(flushed['entries']).toBeGreaterThan(0);
    const again = await ask(h, 'h1.zone.test');
    expect(again.status).toBe('NOERROR');
    expect((await primary.queries()) - before).toBe(1);
  });
});

describe('cache bound', () => {
  let h: HradbaProcess;

  afterAll(async () => {
    await h?.stop();
  });

  it('keeps at most cache.maxEntries answers, dropping the least recently used', async () => {
    h = await startHradba({ config: testConfig(primary.port, { cache: { maxEntries: 2 } }), lists: { [TEST_LIST]: testvendorList() } });
    const count = async (names: string[]): Promise<number> => {
      const before = await primary.queries();
      for (const n of names) expect((await ask(h, n)).status).toBe('NOERROR');
      return (await primary.queries()) - before;
    };
    expect(await count(['h30.zone.test', 'h31.zone.test'])).toBe(2);
    expect(await count(['h30.zone.test', 'h31.zone.test'])).toBe(0); // both cached
    expect(await count(['h32.zone.test'])).toBe(1); // evicts h30, the least recently used
    expect(await count(['h31.zone.test', 'h32.zone.test'])).toBe(0);
    expect(await count(['h30.zone.test'])).toBe(1);
  });
});

describe('upstream pool: failover, recovery, all down', () => {
  let h: HradbaProcess;

  beforeAll(async () => {
    h = await startHradba({
      config: testConfig(primary.port, {
        upstreams: [`127.0.0.1:${primary.port}`, `127.0.0.1:${secondary.port}`],
        forward: { attemptTimeout: '400ms', deadline: '2s' },
        pool: { strategy: 'sequential', maxFails: 2, probeInterval: '200ms', maxInFlight: 100 },
        cache: { enabled: false },
      }),
      lists: { [TEST_LIST]: testvendorList() },
    });
  });

  afterAll(async () => {
    await h?.stop();
    // Leave the shared upstreams running for other tests in this file, whatever happened here.
    for (const u of [primary, secondary]) if ((await u.queries().catch(() => -1)) < 0) await u.restart();
  });

  it('fails over to the next upstream when one is killed, and uses it again once it is back', async () => {
    expect(rdata(await ask(h, 'h2.zone.test'), 'A')).toEqual(['192.0.2.102']);
    await primary.kill();
    // Every client gets its answer (from the secondary) within the client timeout: no error reaches a client.
    for (let i = 3; i < 8; i++) {
      const a = await ask(h, `h${i}.zone.test`, 'A', ['+timeout=3']);
      expect(a.status).toBe('NOERROR');
      expect(rdata(a, 'A')).toEqual([`192.0.2.${100 + i}`]);
    }
    const down = await h.waitForLog((l) => l['event'] === 'upstream-down', 5000);
    expect(String(down['upstream'])).toContain(String(primary.port));
    await primary.restart();
    const up = await h.waitForLog((l) => l['event'] === 'upstream-up', 10_000);
    expect(String(up['upstream'])).toContain(String(primary.port));
    const before = await primary.queries();
    expect((await ask(h, 'www.zone.test')).status).toBe('NOERROR');
    expect((await primary.queries()) - before).toBe(1);
  });

  it('answers SERVFAIL at once, with EDE 22, when every upstream is down', async () => {
    await Promise.all([primary.kill(), secondary.kill()]);
    try {
      // Until both are marked down, queries time out; then the answer comes without waiting.
      for (let i = 0; i < 6; i++) {
        const a = await ask(h, `h${10 + i}.zone.test`, 'A', ['+timeout=4']);
        expect(a.status).toBe('SERVFAIL');
      }
      const fast = await ask(h, 'h20.zone.test', 'A', ['+timeout=4']);
      expect(fast.status).toBe('SERVFAIL');
      expect(fast.ede?.code).toBe(22);
      expect(fast.ede?.text).toBe('every upstream is down');
    } finally {
      await Promise.all([primary.restart(), secondary.restart()]);
    }
  });
});

describe('DNS over TLS to Unbound, from the hradba process', () => {
  let h: HradbaProcess;

  afterAll(async () => {
    await h?.stop();
  });

  it('answers through tls:// and https:// upstreams whose certificates the configured CA signed', async () => {
    h = await startHradba({
      config: testConfig(primary.port, {
        upstreams: [`tls://${NAME}@127.0.0.1:${primary.tlsPort}`, `https://${NAME}@127.0.0.1:${primary.httpsPort}/dns-query`],
        pool: { strategy: 'round-robin' },
        cache: { enabled: false },
      }),
      lists: { [TEST_LIST]: testvendorList() },
      env: { NODE_EXTRA_CA_CERTS: ca.caFile },
    });
    const before = await primary.queries();
    for (let i = 0; i < 4; i++) {
      const a = await ask(h, 'www.zone.test');
      expect(a.status).toBe('NOERROR');
      expect(rdata(a, 'A')).toEqual(['192.0.2.10']);
    }
    expect((await primary.queries()) - before).toBe(4);
    // Nothing failed on the way: no upstream was marked down.
    expect(h.logs().some((l) => l['event'] === 'upstream-down')).toBe(false);
  });
});

describe('serve-stale (RFC 8767)', () => {
  let stale: UnboundServer;
  const hs: HradbaProcess[] = [];

  beforeAll(async () => {
    stale = await startUnbound({ records: ['short.zone.test. 1 IN A 192.0.2.77'] });
  });

  afterAll(async () => {
    await Promise.all(hs.map((x) => x.stop()));
    await stale?.stop();
  });

  it('answers from an expired entry with TTL 30 when the upstream is gone, and only when enabled', async () => {
    const start = (serveStale: boolean) =>
      startHradba({
        config: testConfig(stale.port, {
          forward: { attemptTimeout: '300ms', deadline: '600ms' },
          cache: { serveStale, staleMaxAge: '1h' },
        }),
        lists: { [TEST_LIST]: testvendorList() },
      });
    const [on, off] = await Promise.all([start(true), start(false)]);
    hs.push(on, off);
    for (const x of [on, off]) expect(rdata(await ask(x, 'short.zone.test'), 'A')).toEqual(['192.0.2.77']);
    await delay(1500); // the 1 s TTL runs out
    await stale.kill();
    const served = await ask(on, 'short.zone.test');
    expect(served.status).toBe('NOERROR');
    expect(rdata(served, 'A')).toEqual(['192.0.2.77']);
    expect(ttlOf(served.answer[0])).toBe(30);
    expect(served.ede?.code).toBe(3); // Stale Answer
    expect((await ask(off, 'short.zone.test')).status).toBe('SERVFAIL');
  });
});
