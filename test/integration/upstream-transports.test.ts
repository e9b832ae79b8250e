/** The upstream transports against a real Unbound: UDP, TCP (one reused connection), DoT and DoH, and the certificate checks. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Upstream } from '../../src/config/types.js';
import { TYPE } from '../../src/dns/constants.js';
import { buildQuery } from '../../src/dns/query-builder.js';
import { createUpstreamPool, type UpstreamPool } from '../../src/upstream/upstream-pool.js';
import { upstreamOrError } from '../../src/upstream/upstream-url.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { makeTestCa, type TestCa } from '../helpers/test-certs.js';
import { startUnbound, type UnboundServer } from '../helpers/unbound.js';

const NAME = 'dns.test.example';
let dir: string;
let ca: TestCa;
let unbound: UnboundServer;
let wrongName: UnboundServer;
let pin: string;
const pools: UpstreamPool[] = [];

function upstream(text: string): Upstream {
  const u = upstreamOrError(text);
  if ('error' in u) throw new Error(u.error);
  return u;
}

function pool(texts: string[], extra: { maxFails?: number; errors?: (string | null)[] } = {}): UpstreamPool {
  const p = createUpstreamPool({
    upstreams: texts.map(upstream),
    strategy: 'sequential',
    attemptTimeoutMs: 1000,
    deadlineMs: 2000,
    socketPool: 2,
    maxFails: extra.maxFails ?? 3,
    probeIntervalMs: 200,
    maxInFlight: 100,
    tls: { ca: ca.caPem },
    onHealth: (event, _u, _fails, lastError) => {
      if (event === 'upstream-down') extra.errors?.push(lastError);
    },
  });
  pools.push(p);
  return p;
}

function query(name: string, type: number = TYPE.A): { msg: Buffer; questionEnd: number } {
  const msg = buildQuery({ id: 0x1234, name, type, rd: true });
  return { msg, questionEnd: msg.length };
}

/** The IPv4 addresses in the ANSWER section of a reply whose single A record follows the question. */
function firstA(reply: Buffer, questionEnd: number): string {
  const at = questionEnd + 12; // compressed owner (2) + type, class, ttl, rdlength (10)
  return [...reply.subarray(at, at + 4)].join('.');
}

beforeAll(async () => {
  dir = makeTempDir('certs');
  ca = makeTestCa(dir);
  const good = ca.issue(NAME);
  pin = good.spkiPin;
  unbound = await startUnbound({ records: ['www.zone.test. 300 IN A 192.0.2.10'], tls: good });
  wrongName = await startUnbound({ records: ['www.zone.test. 300 IN A 192.0.2.66'], tls: ca.issue('other.test.example') });
}, 60_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all([unbound?.stop(), wrongName?.stop()]);
  removeTempDir(dir);
});

describe('upstream transports against Unbound', () => {
  it.each([
    ['udp', () => `udp://127.0.0.1:${unbound.port}`],
    ['bare address (udp)', () => `127.0.0.1:${unbound.port}`],
    ['tcp', () => `tcp://127.0.0.1:${unbound.port}`],
    ['tls', () => `tls://${NAME}@127.0.0.1:${unbound.tlsPort}`],
    ['tls with the right pin', () => `tls://${NAME}@127.0.0.1:${unbound.tlsPort}#pin=${pin}`],
    ['https', () => `https://${NAME}@127.0.0.1:${unbound.httpsPort}/dns-query`],
  ])('answers over %s', async (_what, url) => {
    const p = pool([url()]);
    const { msg, questionEnd } = query('www.zone.test');
    const result = await p.forward(msg, questionEnd);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.answer[3]! & 0x0f).toBe(0);
    expect(result.answer.readUInt16BE(6)).toBe(1);
    expect(firstA(result.answer, questionEnd)).toBe('192.0.2.10');
  });

  it('pipelines many queries over one TCP connection, each matched to its question', async () => {
    const p = pool([`tcp://127.0.0.1:${unbound.port}`]);
    const names = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'www.zone.test' : `n${i}.zone.test`));
    const before = await unbound.queries();
    const results = await Promise.all(names.map((n) => p.forward(query(n).msg, query(n).questionEnd)));
    for (const [i, r] of results.entries()) {
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      // www exists (NOERROR), the others do not (NXDOMAIN): the replies were not mixed up.
      expect(r.answer[3]! & 0x0f).toBe(i % 2 === 0 ? 0 : 3);
    }
    expect((await unbound.queries()) - before).toBe(20);
  });

  it('DoT refuses a certificate for another name: no answer, never a fallback to clear text', async () => {
    const errors: (string | null)[] = [];
    const p = pool([`tls://${NAME}@127.0.0.1:${wrongName.tlsPort}`], { maxFails: 1, errors });
    const before = await wrongName.queries();
    const { msg, questionEnd } = query('www.zone.test');
    const result = await p.forward(msg, questionEnd);
    expect(result).toEqual({ ok: false, reason: 'timeout' });
    expect(await wrongName.queries()).toBe(before);
    // The reason reaches the upstream-down log line.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/dns\.test\.example/);
  });

  it('DoH refuses a certificate for another name', async () => {
    const p = pool([`https://${NAME}@127.0.0.1:${wrongName.httpsPort}/dns-query`]);
    const { msg, questionEnd } = query('www.zone.test');
    expect((await p.forward(msg, questionEnd)).ok).toBe(false);
  });

  it('DoT refuses a certificate that does not match the pin', async () => {
    const otherPin = Buffer.alloc(32, 7).toString('base64');
    const p = pool([`tls://${NAME}@127.0.0.1:${unbound.tlsPort}#pin=${otherPin}`]);
    const { msg, questionEnd } = query('www.zone.test');
    expect((await p.forward(msg, questionEnd)).ok).toBe(false);
  });

  it('a DoT upstream with a bad certificate is passed over for the next one', async () => {
    const p = pool([`tls://${NAME}@127.0.0.1:${wrongName.tlsPort}`, `tls://${NAME}@127.0.0.1:${unbound.tlsPort}`]);
    const { msg, questionEnd } = query('www.zone.test');
    const result = await p.forward(msg, questionEnd);
    expect(result.ok).toBe(true);
    if (result.ok) expect(firstA(result.answer, questionEnd)).toBe('192.0.2.10');
  });
});
