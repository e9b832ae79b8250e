/**
 * Flags from the client (issue 9): every answer hradba sends carries the client's RD and CD, RA set, AA never set, and
 * the question as asked; fresh and cached, NOERROR, NXDOMAIN and NODATA, through the running process to an
 * authoritative NSD (which never sets RA nor echoes CD). Upstreams are always asked with RD=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dig, parseDig, type DigAnswer } from '../helpers/dig.js';
import { buildQuery, parseHeader, QTYPE, udpExchange } from '../helpers/dns-client.js';
import { buildReply, questionEndOf, record, startFakeUpstream, type FakeUpstream } from '../helpers/fake-upstream.js';
import { startHradba, type HradbaProcess, type LogLine } from '../helpers/hradba.js';
import { startNsd, type NsdServer } from '../helpers/nsd.js';
import { TEST_LIST, testConfig, testvendorList } from '../helpers/test-config.js';

let nsd: NsdServer;
let hradba: HradbaProcess;

beforeAll(async () => {
  nsd = await startNsd();
  // Query lines (debug) say whether each answer came from the upstream or from the cache.
  hradba = await startHradba({
    config: testConfig(nsd.port, { log: { level: 'debug', queries: true } }),
    lists: { [TEST_LIST]: testvendorList() },
  });
}, 30_000);

afterAll(async () => {
  await hradba?.stop();
  await nsd?.stop();
});

/** The flags a client must see for the flags it sent: its RD and CD, QR and RA, never AA. */
function expectClientFlags(a: DigAnswer, sent: { rd: boolean; cd: boolean }, what: string): void {
  expect(a.status, `${what}: ${a.text}`).not.toBeNull();
  expect(a.flags, `${what}: qr`).toContain('qr');
  expect(a.flags, `${what}: ra`).toContain('ra');
  expect(a.flags, `${what}: no aa on a relayed answer`).not.toContain('aa');
  expect(a.flags.includes('rd'), `${what}: rd as sent (${a.flags.join(' ')})`).toBe(sent.rd);
  expect(a.flags.includes('cd'), `${what}: cd as sent (${a.flags.join(' ')})`).toBe(sent.cd);
}

/** The source ('upstream' or 'cache') of the n-th forwarded answer logged for `qname` (lower-case), waiting for it. */
async function sourceOf(qname: string, qtype: number, n: number): Promise<unknown> {
  const lines = (): LogLine[] => hradba.logs().filter((l) => l.event === 'query' && l.qname === qname && l.qtype === qtype && l.outcome === 'forwarded');
  await hradba.waitForLog(() => lines().length > n, 3000);
  return lines()[n]?.source;
}

describe('relayed answers carry the client RD and CD, fresh and cached', () => {
  // Each row: a name as the client writes it (mixed case), the status NSD gives.
  it.each([
    { what: 'NOERROR', name: 'WwW.ExAmple.TeST', type: 'A', qtype: QTYPE.A, status: 'NOERROR' },
    { what: 'NXDOMAIN', name: 'NoSuch.Example.TEST', type: 'A', qtype: QTYPE.A, status: 'NXDOMAIN' },
    { what: 'NODATA', name: 'wWw.example.TEST', type: 'TXT', qtype: QTYPE.TXT, status: 'NOERROR' },
  ])('$what', async ({ name, type, qtype, status }) => {
    const qname = name.toLowerCase();
    // The cache key holds CD and EDNS use, not RD: each second query of a pair is a hit on what the first stored.
    const steps = [
      { args: ['+cdflag', '+noedns'], sent: { rd: true, cd: true }, source: 'upstream' },
      { args: ['+cdflag', '+noedns'], sent: { rd: true, cd: true }, source: 'cache' },
      { args: ['+cdflag', '+noedns', '+nordflag'], sent: { rd: false, cd: true }, source: 'cache' },
      { args: ['+nordflag'], sent: { rd: false, cd: false }, source: 'upstream' },
      { args: ['+nordflag'], sent: { rd: false, cd: false }, source: 'cache' },
      { args: [], sent: { rd: true, cd: false }, source: 'cache' },
    ];
    for (const [n, step] of steps.entries()) {
      const what = `${name} ${type} ${step.args.join(' ') || '(defaults)'}`;
      const a = parseDig((await dig({ port: hradba.port }, [name, type, ...step.args])).stdout);
      expect(a.status, `${what}: ${a.text}`).toBe(status);
      expectClientFlags(a, step.sent, what);
      // The question as asked, case and all.
      expect(a.question, what).toEqual([`${name}. IN ${type}`]);
      expect(await sourceOf(qname, qtype, n), `${what}: answered from`).toBe(step.source);
    }
  });

  it('keeps the client ID and the RD=0/CD=1 flags in raw answers (read by the tests own decoder)', async () => {
    for (const id of [0x1234, 0xbeef]) {
      const q = buildQuery({ id, name: 'www.example.test', type: QTYPE.AAAA, rd: false });
      q[3] = 0x10; // CD
      const reply = await udpExchange(hradba.port, q);
      expect(reply).not.toBeNull();
      const h = parseHeader(reply!);
      expect(h.id).toBe(id);
      expect(h.qr && h.ra && !h.aa && !h.rd, JSON.stringify(h)).toBe(true);
      expect(reply![3]! & 0x10, 'CD').toBe(0x10);
      expect(h.ancount).toBe(1);
    }
  });

  it('sinkholed and locally answered names carry them as well', async () => {
    for (const [name, type] of [['www.banned-vendor.test', 'A'], ['localhost', 'A']] as const) {
      for (const args of [['+cdflag', '+noedns', '+nordflag'], ['+nordflag'], ['+cdflag']]) {
        const a = parseDig((await dig({ port: hradba.port }, [name, type, ...args])).stdout);
        expectClientFlags(a, { rd: !args.includes('+nordflag'), cd: args.includes('+cdflag') }, `${name} ${args.join(' ')}`);
      }
    }
  });
});

describe('upstreams are always asked for recursion', () => {
  let fake: FakeUpstream;
  let h: HradbaProcess;

  beforeAll(async () => {
    fake = await startFakeUpstream();
    // Like a recursive upstream that refuses non-recursive queries (allow-snoop off): REFUSED for RD=0.
    fake.answer((query) =>
      (query[2]! & 0x01) === 0 ? buildReply(query, { rcode: 5 }) : buildReply(query, { answers: [record(1, 300, Buffer.from([192, 0, 2, 7]))] }),
    );
    h = await startHradba({ config: testConfig(fake.address.port), lists: { [TEST_LIST]: testvendorList() } });
  }, 30_000);

  afterAll(async () => {
    await h?.stop();
    await fake?.close();
  });

  it('sends RD=1 upstream when the client sent RD=0, and answers the client with its RD=0', async () => {
    const a = parseDig((await dig({ port: h.port }, ['probe.example.test', 'A', '+nordflag'])).stdout);
    const asked = fake.calls.filter((c) => questionEndOf(c.query) > 17 && c.query.subarray(12).toString('latin1').includes('probe'));
    expect(asked.length).toBeGreaterThan(0);
    for (const c of asked) expect(c.query[2]! & 0x01, 'RD in the query hradba sent upstream').toBe(1);
    expect(a.status, a.text).toBe('NOERROR');
    expect(a.answer).toEqual(['probe.example.test. 300 IN A 192.0.2.7']);
    expectClientFlags(a, { rd: false, cd: false }, 'probe.example.test +nordflag');
  });
});
